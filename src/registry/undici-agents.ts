/**
 * The undici dispatchers registry requests need (several origins, proxies). A module of its own
 * so that the bundle compiles them only for registry commands, apart from the API's Client.
 */
export { Agent, EnvHttpProxyAgent } from 'undici';
