/** Metrics of the webRTCWorkspaces dialect (parley_workspaces_*), removed from the registry on close. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Outcome = 'ok' | 'alert' | 'invalid' | 'destroyed' | 'full' | 'dropped' | 'error';

export interface WorkspacesMetrics {
  events: Counter<'event' | 'outcome'>;
  sockets: Gauge;
  online: Gauge;
  close(): void;
}

const NAMES = ['parley_workspaces_events_total', 'parley_workspaces_connections', 'parley_workspaces_attendees_online'] as const;

export function createWorkspacesMetrics(registry: Registry): WorkspacesMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    events: new Counter({ name: NAMES[0], help: 'webRTCWorkspaces events received, by event and outcome', labelNames: ['event', 'outcome'] as const, registers }),
    sockets: new Gauge({ name: NAMES[1], help: 'Open webRTCWorkspaces socket.io connections', registers }),
    online: new Gauge({ name: NAMES[2], help: 'Attendees bound to a live connection', registers }),
    close() {
      for (const name of NAMES) registry.removeSingleMetric(name);
    },
  };
}
