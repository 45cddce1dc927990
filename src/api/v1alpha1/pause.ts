// Pause: a timed wait a Cell's `pause: {duration}` step creates; Started → Expired, or Cancelled.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, syncStatusFields, timestamp } from '../schema.js';

/** Resource type of Pause. */
export const PauseType = okraType('Pause');

/** Phases of a Pause. */
export const PausePhase = { Started: 'Started', Expired: 'Expired', Cancelled: 'Cancelled' } as const;

/** Spec of a Pause. */
export const PauseSpecSchema = z.object({
  expireTime: timestamp('When the pause ends.'),
});

/** Status of a Pause. */
export const PauseStatusSchema = z.object({
  ...syncStatusFields,
  phase: z
    .enum(['', 'Started', 'Expired', 'Cancelled'])
    .optional()
    .describe('Started once seen by the controller, Expired after expireTime, Cancelled by okra cancel pause.'),
});

/** A Pause object. */
export const PauseSchema = kubeObject(PauseSpecSchema, PauseStatusSchema);

/** A Pause. */
export type Pause = z.infer<typeof PauseSchema>;
