/**
 * The size budget of each delivery channel (fleet-formats.md §6): EC2 caps user data at 16,384
 * bytes before base64, and eksctl/EKS and Karpenter add their own cluster settings to it; SSM
 * Run Command passes `apiclient set KEY=VALUE` as one argv string, which Linux caps at 128 KiB.
 * Reports the size, and refuses what cannot fit with the channel that can carry it.
 */
import { CivError } from '../errors.ts';

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
}

export const USER_DATA_CHANNELS: Record<Channel, UserDataChannel> = {
  userdata: { reserve: 0, what: 'user data' },
  eksctl: {
    reserve: 2_200,
    what: 'eksctl nodegroup user data (eksctl and EKS add about 2,200 bytes of cluster settings)',
  },
  karpenter: {
    reserve: 3_000,
    what: 'Karpenter user data (Karpenter adds about 3,000 bytes: cluster settings, labels, taints)',
  },
};

const ELSEWHERE =
  'deliver the policies over SSM Run Command (civctl encode --format ssm), or keep the user data small with a bootstrap command that runs apiclient apply ssm:///NAME or s3://BUCKET/KEY (docs/fleet.md)';

const n = (value: number) => value.toLocaleString('en-US');

/** The user data's size against its channel's budget: a line to print, or E_CHANNEL_LIMIT. */
export function userDataBudget(channel: Channel, bytes: number): string {
  const { reserve, what } = USER_DATA_CHANNELS[channel];
  const budget = EC2_USER_DATA_LIMIT - reserve;
  if (bytes > budget)
    throw new CivError(
      'E_CHANNEL_LIMIT',
      `the ${what} would be ${n(bytes)} bytes, over the ${n(budget)} bytes it has of EC2's ${n(EC2_USER_DATA_LIMIT)}-byte limit; ${ELSEWHERE}`,
    );
  return `${what}: ${n(bytes)} of ${n(budget)} bytes (${Math.round((bytes / budget) * 100)}%)`;
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
  return `SSM send-command input: ${n(bytes)} of ${n(SSM_DOCUMENT_LIMIT)} bytes (${Math.round((bytes / SSM_DOCUMENT_LIMIT) * 100)}%)`;
}
