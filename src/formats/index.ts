/**
 * Every settings format encode writes, in one table: how it renders (and merges into a user's
 * file), the encode options only it takes, and the size budget it is held to. A new format is one
 * entry here plus its renderer. Renderers load lazily (smol-toml, yaml), so that a base64 or JSON
 * run loads neither. Pure: what to say about sizes and merges comes back as messages.
 */
import { CivError } from '../errors.ts';
import type { PluginPolicies } from '../policy/settings.ts';
import type { Channel } from './budget.ts';
import type { MergeNotice } from './merge.ts';

/** A line for stderr: `info` said plainly, or a warning or a note. */
export interface FormatMessage {
  level: 'info' | 'warning' | 'note';
  text: string;
}

export interface Rendered {
  text: string;
  messages: FormatMessage[];
}

/** What encode's options ask of a format besides the policies. */
export interface RenderOptions {
  /** --merge-into: the user's file, as text. */
  mergeInto?: { path: string; text: string };
  nodegroup?: string | undefined;
  /** --name / --nodeclass. */
  name?: string | undefined;
  base64?: boolean;
  targets?: string[] | undefined;
  instanceIds?: string[] | undefined;
}

export interface EncodeFormat {
  /** The encode options only this format (and the others that list them) takes; refused elsewhere. */
  options: readonly string[];
  /** False for base64: one policy, without `enabled`. */
  settings: boolean;
  /** The size budget it is held to (formats/budget.ts), beyond the API's request size. */
  budget?: Channel | 'ssm';
  render(p: PluginPolicies, options: RenderOptions): Promise<Rendered>;
}

const plain = (text: string): Rendered => ({ text, messages: [] });
const info = (text: string): FormatMessage => ({ level: 'info', text });
const warning = (text: string): FormatMessage => ({ level: 'warning', text });

/** What a merge replaced, turned off or kept: warnings for what is lost, notes for the rest. */
const told = (where: string, notices: MergeNotice[]): FormatMessage[] =>
  notices.map((n) => ({ level: n.level, text: `${where}: ${n.message}` }));

function reprinted(where: string): FormatMessage {
  return warning(
    `${where} could not be edited in place, so the YAML was printed anew: its values and comments are kept, but flow mappings, quoting and aliases outside the image-verifier settings may be laid out differently`,
  );
}

function relaidOut(where: string): FormatMessage {
  return warning(
    `${where} defines settings.image-verifier-plugins in a form a text edit cannot replace (dotted keys or an inline table), so the whole document was re-serialised: its comments and layout are lost, its values are kept`,
  );
}

/** Runs a merge, its failure one line naming the file and, where known, the position. */
async function merging<T>(path: string, merge: () => T): Promise<T> {
  const { SettingsFileError } = await import('./read-settings.ts');
  try {
    return merge();
  } catch (err) {
    if (err instanceof SettingsFileError)
      throw new CivError('E_FLEET_FILE', `${path}:${err.line}:${err.column}: ${err.message}`);
    if (err instanceof CivError && err.code === 'E_FLEET_FILE')
      throw new CivError('E_FLEET_FILE', `'${path}' cannot be merged into: ${err.message}`);
    throw err;
  }
}

const bytesOf = (text: string) => Buffer.byteLength(text);

export const FORMATS = {
  base64: {
    options: [],
    settings: false,
    render: async (p) => plain(`${p.plugins.values().next().value}\n`),
  },
  toml: {
    options: [],
    settings: true,
    render: async (p) => plain((await import('./userdata.ts')).renderUserData(p)),
  },
  json: {
    options: [],
    settings: true,
    render: async (p) => plain(`${(await import('./settings-json.ts')).renderSettingsJson(p)}\n`),
  },
  apiclient: {
    options: [],
    settings: true,
    render: async (p) => plain(`${(await import('./settings-json.ts')).renderApiclient(p)}\n`),
  },
  userdata: {
    options: ['merge-into', 'base64'],
    settings: true,
    budget: 'userdata',
    render: async (p, o) => {
      const [{ renderUserData, mergeUserData }, { userDataBudget }] = await Promise.all([
        import('./userdata.ts'),
        import('./budget.ts'),
      ]);
      const messages: FormatMessage[] = [];
      let text = renderUserData(p);
      if (o.mergeInto) {
        const { path } = o.mergeInto;
        const merged = await merging(path, () => mergeUserData(o.mergeInto!.text, p));
        if (!merged.preserved) messages.push(relaidOut(path));
        messages.push(...told(path, merged.notices));
        text = merged.text;
      }
      messages.push(info(userDataBudget('userdata', bytesOf(text))));
      if (o.base64) text = `${Buffer.from(text).toString('base64')}\n`;
      return { text, messages };
    },
  },
  eksctl: {
    options: ['merge-into', 'nodegroup'],
    settings: true,
    budget: 'eksctl',
    render: async (p, o) => {
      const [eksctl, { renderUserData }, { userDataBudget }] = await Promise.all([
        import('./eksctl.ts'),
        import('./userdata.ts'),
        import('./budget.ts'),
      ]);
      if (!o.mergeInto)
        return {
          text: eksctl.renderEksctlFragment(p),
          messages: [info(userDataBudget('eksctl', bytesOf(renderUserData(p))))],
        };
      const { path } = o.mergeInto;
      const merged = await merging(path, () => eksctl.mergeEksctl(o.mergeInto!.text, p, o.nodegroup));
      const messages = merged.preserved ? [] : [reprinted(path)];
      for (const [group, toml] of merged.userData) {
        messages.push(...told(`${path} (nodegroup ${group})`, merged.notices.get(group) ?? []));
        messages.push(info(`nodegroup ${group}: ${userDataBudget('eksctl', bytesOf(toml))}`));
      }
      return { text: merged.text, messages };
    },
  },
  karpenter: {
    options: ['merge-into', 'name'],
    settings: true,
    budget: 'karpenter',
    render: async (p, o) => {
      const [karpenter, { renderUserData }, { userDataBudget }] = await Promise.all([
        import('./karpenter.ts'),
        import('./userdata.ts'),
        import('./budget.ts'),
      ]);
      if (!o.mergeInto)
        return {
          text: karpenter.renderKarpenter(p, o.name ?? 'bottlerocket'),
          messages: [info(userDataBudget('karpenter', bytesOf(renderUserData(p))))],
        };
      const { path } = o.mergeInto;
      const merged = await merging(path, () => karpenter.mergeKarpenter(o.mergeInto!.text, p, o.name));
      const messages = merged.preserved ? [] : [reprinted(path)];
      for (const [nodeClass, userData] of merged.userData) {
        if (!userData.preserved)
          messages.push(relaidOut(`${path} (EC2NodeClass ${nodeClass} spec.userData)`));
        messages.push(...told(`${path} (EC2NodeClass ${nodeClass})`, userData.notices));
        messages.push(
          info(`EC2NodeClass ${nodeClass}: ${userDataBudget('karpenter', bytesOf(userData.text))}`),
        );
      }
      return { text: merged.text, messages };
    },
  },
  ssm: {
    options: ['targets', 'instance-ids'],
    settings: true,
    budget: 'ssm',
    render: async (p, o) => {
      const [ssm, { ssmBudget }] = await Promise.all([import('./ssm.ts'), import('./budget.ts')]);
      const targets = ssm.parseTargets(o.targets ?? []);
      const instanceIds = ssm.checkInstanceIds(o.instanceIds ?? []);
      const messages: FormatMessage[] = [];
      if (targets.length === 0 && instanceIds.length === 0)
        messages.push({
          level: 'note',
          text: 'no --targets or --instance-ids: add Targets or InstanceIds before sending, or pass them to aws ssm send-command',
        });
      const text = ssm.renderSsm(p, { targets, instanceIds });
      messages.push(info(ssmBudget(bytesOf(text))));
      messages.push({
        level: 'note',
        text: 'run it with: aws ssm send-command --cli-input-json file://FILE',
      });
      return { text, messages };
    },
  },
} as const satisfies Record<string, EncodeFormat>;

export type EncodeFormatName = keyof typeof FORMATS;

/** The formats, in the order help and messages list them. */
export const ENCODE_FORMATS = Object.keys(FORMATS) as EncodeFormatName[];

/** The formats that take an encode option, in the table's order. */
export const formatsTaking = (option: string): EncodeFormatName[] =>
  ENCODE_FORMATS.filter((f) => (FORMATS[f].options as readonly string[]).includes(option));
