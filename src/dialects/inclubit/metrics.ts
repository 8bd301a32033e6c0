/** Metrics of the Inclubit 360 dialect (parley_inclubit_*), removed from the registry on close. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type Outcome = 'ok' | 'refused' | 'invalid' | 'dropped' | 'error';

export interface InclubitMetrics {
  events: Counter<'event' | 'outcome'>;
  sockets: Gauge;
  auth: Counter<'area' | 'result'>;
  turnCredentials: Counter;
  close(): void;
}

const NAMES = ['parley_inclubit_events_total', 'parley_inclubit_connections', 'parley_inclubit_auth_total', 'parley_inclubit_turn_credentials_total'] as const;

export function createInclubitMetrics(registry: Registry): InclubitMetrics {
  for (const name of NAMES) registry.removeSingleMetric(name);
  const registers = [registry];
  return {
    events: new Counter({ name: NAMES[0], help: 'Inclubit signaling events received, by event and outcome', labelNames: ['event', 'outcome'] as const, registers }),
    sockets: new Gauge({ name: NAMES[1], help: 'Open Inclubit socket.io connections', registers }),
    auth: new Counter({ name: NAMES[2], help: 'Inclubit auth API basic-auth checks, by area (admin, user) and result', labelNames: ['area', 'result'] as const, registers }),
    turnCredentials: new Counter({ name: NAMES[3], help: 'TURN credentials issued by /user/get-turn-credentials', registers }),
    close() {
      for (const name of NAMES) registry.removeSingleMetric(name);
    },
  };
}
