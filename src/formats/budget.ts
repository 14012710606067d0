/**
 * The size budget of each delivery channel (fleet-formats.md §6), the one place that knows it: EC2
 * caps user data at 16,384 bytes before base64, and eksctl/EKS and Karpenter add their own cluster
 * settings to it; SSM Run Command passes `apiclient set KEY=VALUE` as one argv string, which Linux
 * caps at 128 KiB. lint (a file too large), encode (each fleet format) and digests (how full an
 * allowlist is) measure and word sizes with these functions, so a limit or its message changes here.
 */
import { CivError } from '../errors.ts';
import { API_BODY_LIMIT } from '../policy/settings.ts';

export const EC2_USER_DATA_LIMIT = 16_384;
/** MAX_ARG_STRLEN: one argument, its terminating NUL included. */
export const ARG_STRLEN_LIMIT = 131_072;
/** The largest SSM document; SendCommand's own parameter limit is not documented. */
export const SSM_DOCUMENT_LIMIT = 65_536;

export type Channel = 'userdata' | 'eksctl' | 'karpenter';

interface UserDataChannel {
  /** Bytes the tool adds to the user data on its own (estimates; fleet-formats.md §6.2). */
  reserve: number;
  what: string;
  /** What the tool adds, for messages. */
  adds?: string;
}

export const USER_DATA_CHANNELS: Record<Channel, UserDataChannel> = {
  userdata: { reserve: 0, what: 'user data' },
  eksctl: {
    reserve: 2_200,
    what: 'eksctl nodegroup user data',
    adds: 'eksctl and EKS add about 2,200 bytes of cluster settings',
  },
  karpenter: {
    reserve: 3_000,
    what: 'Karpenter user data',
    adds: 'Karpenter adds about 3,000 bytes: cluster settings, labels, taints',
  },
};

const ELSEWHERE =
  'deliver the policies over the API (civctl set), over SSM Run Command (civctl encode --format ssm), or from a bootstrap command that runs apiclient apply ssm:///NAME or s3://BUCKET/KEY (docs/fleet.md)';

const n = (value: number) => value.toLocaleString('en-US');
const percent = (bytes: number, of: number, digits = 0) =>
  `${digits === 0 ? Math.round((100 * bytes) / of) : ((100 * bytes) / of).toFixed(digits)}%`;

/** The bytes a channel leaves the user data of EC2's limit. */
export function userDataBudgetOf(channel: Channel): number {
  return EC2_USER_DATA_LIMIT - USER_DATA_CHANNELS[channel].reserve;
}

/** The channel's user data, with what its tool adds: `eksctl nodegroup user data (eksctl and EKS add …)`. */
function described(channel: Channel): string {
  const { what, adds } = USER_DATA_CHANNELS[channel];
  return adds ? `${what} (${adds})` : what;
}

/** The limit as every message names it. */
function limitText(channel: Channel): string {
  const limit = `EC2's ${n(EC2_USER_DATA_LIMIT)}-byte user-data limit`;
  if (USER_DATA_CHANNELS[channel].reserve === 0) return limit;
  return `the ${n(userDataBudgetOf(channel))} bytes ${limit} leaves ${described(channel)}`;
}

/**
 * Why user data of this size cannot reach a node, after `subject` (`the file is`, `the user data
 * would be`): undefined when it fits its channel.
 */
export function overUserDataLimit(channel: Channel, subject: string, bytes: number): string | undefined {
  if (bytes <= userDataBudgetOf(channel)) return undefined;
  return `${subject} ${n(bytes)} bytes, over ${limitText(channel)}: an instance cannot be launched with it; ${ELSEWHERE}`;
}

/** How full the channel's user data is: `user data: 1,013 of 16,384 bytes (6%)`. */
export function userDataBudgetLine(channel: Channel, bytes: number): string {
  const budget = userDataBudgetOf(channel);
  return `${described(channel)}: ${n(bytes)} of ${n(budget)} bytes (${percent(bytes, budget)})`;
}

/** The user data's size against its channel's budget: a line to print, or E_CHANNEL_LIMIT. */
export function userDataBudget(channel: Channel, bytes: number): string {
  const over = overUserDataLimit(channel, 'the user data would be', bytes);
  if (over !== undefined) throw new CivError('E_CHANNEL_LIMIT', over);
  return userDataBudgetLine(channel, bytes);
}

/** How full an API request is: `API request: 322 of 2,097,152 bytes (0.0%)`. */
export function apiRequestLine(bytes: number): string {
  return `API request: ${n(bytes)} of ${n(API_BODY_LIMIT)} bytes (${percent(bytes, API_BODY_LIMIT, 1)})`;
}

/** One `apiclient set KEY=VALUE` argument must fit in one argv string. */
export function ssmArgumentBudget(argument: string): void {
  const bytes = Buffer.byteLength(argument) + 1;
  if (bytes > ARG_STRLEN_LIMIT)
    throw new CivError(
      'E_CHANNEL_LIMIT',
      `the apiclient argument for ${argument.slice(0, argument.indexOf('='))} would be ${n(bytes)} bytes, over Linux's ${n(ARG_STRLEN_LIMIT)}-byte limit for one argument; upload the settings document (civctl encode --format json) to S3 and have the command run apiclient apply s3://BUCKET/KEY, which takes up to 2 MiB`,
    );
}

/** The whole send-command input against SSM's document limit. */
export function ssmBudget(bytes: number): string {
  if (bytes > SSM_DOCUMENT_LIMIT)
    throw new CivError(
      'E_CHANNEL_LIMIT',
      `the send-command input would be ${n(bytes)} bytes, over SSM's ${n(SSM_DOCUMENT_LIMIT)}-byte document limit; upload the settings document (civctl encode --format json) to S3 and have the command run apiclient apply s3://BUCKET/KEY, which takes up to 2 MiB`,
    );
  return `SSM send-command input: ${n(bytes)} of ${n(SSM_DOCUMENT_LIMIT)} bytes (${percent(bytes, SSM_DOCUMENT_LIMIT)})`;
}
