import type { Config } from '../../common/config.ts';

/** A workflow's page in the Temporal Web UI, when the UI's address is known. */
export function temporalUiLink(config: Config, workflowId: string): string | null {
  const ui = config.temporal.uiUrl;
  return ui ? `${ui.replace(/\/$/, '')}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}` : null;
}
