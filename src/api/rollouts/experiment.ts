// Subset schema of the Argo Rollouts Experiment kind: what okra writes and the phase it gates on.
import { z } from 'zod';
import { ObjectMetaSchema } from '../schema.js';
import { AnalysisPhaseSchema, ArgumentSchema } from './analysis.js';

/** An Experiment. */
export const ExperimentSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMetaSchema,
  spec: z.looseObject({
    duration: z.string().optional(),
    templates: z.array(
      z.looseObject({
        name: z.string(),
        replicas: z.number().int().optional(),
        selector: z.looseObject({}).optional(),
        template: z.looseObject({}),
      }),
    ),
    analyses: z
      .array(
        z.looseObject({
          name: z.string(),
          templateName: z.string(),
          clusterScope: z.boolean().optional(),
          args: z.array(ArgumentSchema).optional(),
          requiredForCompletion: z.boolean().optional(),
        }),
      )
      .optional(),
  }),
  status: z.looseObject({ phase: AnalysisPhaseSchema.optional(), message: z.string().optional() }).optional(),
});

/** An experiment. */
export type Experiment = z.infer<typeof ExperimentSchema>;
