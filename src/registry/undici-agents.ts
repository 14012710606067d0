/**
 * The undici dispatchers registry requests need: Agent for direct connections (several origins),
 * ProxyAgent for a proxy (CONNECT tunnels for https, absolute-form requests for http), Client for
 * the proxy connection itself. A module of its own so that the bundle compiles them only for
 * registry commands, apart from the API's Client.
 */
export { Agent, Client, ProxyAgent } from 'undici';
