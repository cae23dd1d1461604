import { rejectUnknownKeys } from '../node-attestor.js';

/** plugin_data of the server's `NodeAttestor "x509pop"`, as SPIRE names it. */
export interface X509PopConfig {
  /** PEM files holding the trusted root CAs (`ca_bundle_path` and/or `ca_bundle_paths`). */
  readonly caBundlePaths: readonly string[];
  /** The agent ID path after `/spire/agent/`, as a template (`agent_path_template`). */
  readonly agentPathTemplate: string;
}

/** SPIRE's default template for `mode = "external_pki"`. */
export const DEFAULT_AGENT_PATH_TEMPLATE = '{{ .PluginName }}/{{ .Fingerprint }}';

const KEYS = ['mode', 'svid_prefix', 'ca_bundle_path', 'ca_bundle_paths', 'agent_path_template'];

/** Validates raw plugin_data, naming the key at fault and how to fix it. */
export function parseX509PopConfig(data: Record<string, unknown>): X509PopConfig {
  rejectUnknownKeys('x509pop', data, KEYS);

  const mode = data['mode'] ?? 'external_pki';
  if (mode !== 'external_pki') {
    throw new Error(
      `x509pop: mode "${String(mode)}" is not supported; spire-ts supports mode = "external_pki" ` +
        '(verify node certificates against ca_bundle_path)',
    );
  }
  if (data['svid_prefix'] !== undefined) {
    throw new Error('x509pop: svid_prefix applies only to mode = "spiffe"; remove it');
  }

  const paths: string[] = [];
  const single = data['ca_bundle_path'];
  if (single !== undefined) {
    if (typeof single !== 'string' || single === '') {
      throw new Error('x509pop: ca_bundle_path must be a file path');
    }
    paths.push(single);
  }
  const many = data['ca_bundle_paths'];
  if (many !== undefined) {
    if (!Array.isArray(many) || many.some((p) => typeof p !== 'string' || p === '')) {
      throw new Error('x509pop: ca_bundle_paths must be a list of file paths');
    }
    paths.push(...(many as string[]));
  }
  if (paths.length === 0) {
    throw new Error('x509pop: ca_bundle_path or ca_bundle_paths is required in external_pki mode');
  }

  const template = data['agent_path_template'] ?? DEFAULT_AGENT_PATH_TEMPLATE;
  if (typeof template !== 'string' || template.trim() === '') {
    throw new Error('x509pop: agent_path_template must be a non-empty template string');
  }
  checkTemplate(template);

  return { caBundlePaths: paths, agentPathTemplate: template };
}

/** The values an agent path template may use, as SPIRE names them. */
export interface TemplateValues {
  readonly PluginName: string;
  readonly Fingerprint: string;
  readonly TrustDomain: string;
  readonly 'Subject.CommonName': string;
  readonly SerialNumberHex: string;
}

const FIELD = /\{\{\s*\.([A-Za-z]+(?:\.[A-Za-z]+)?)\s*\}\}/g;
const KNOWN_FIELDS = [
  'PluginName',
  'Fingerprint',
  'TrustDomain',
  'Subject.CommonName',
  'SerialNumberHex',
];

/**
 * Fills `{{ .Field }}` placeholders. Only plain field references are supported (no pipelines,
 * functions or conditionals); anything else is refused when the configuration is loaded.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(FIELD, (_m, field: string) => values[field as keyof TemplateValues]);
}

function checkTemplate(template: string): void {
  for (const match of template.matchAll(FIELD)) {
    const field = match[1] as string;
    if (!KNOWN_FIELDS.includes(field)) {
      throw new Error(
        `x509pop: agent_path_template uses .${field}; supported fields are ` +
          KNOWN_FIELDS.map((f) => `.${f}`).join(', '),
      );
    }
  }
  if (template.replace(FIELD, '').includes('{{')) {
    throw new Error(
      'x509pop: agent_path_template may only contain plain field references such as ' +
        '{{ .Fingerprint }}',
    );
  }
}
