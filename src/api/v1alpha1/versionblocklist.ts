// VersionBlocklist: versions a Cell (of the same name) must never roll out again.
import { z } from 'zod';
import { okraType } from '../resource.js';
import { kubeObject, syncStatusFields } from '../schema.js';

/** Resource type of VersionBlocklist. */
export const VersionBlocklistType = okraType('VersionBlocklist');

/** One blocked version. */
export const BlockedVersionSchema = z.object({
  version: z.string().describe('The blocked version, compared for equality with the Cell\'s desired version.'),
  cause: z.string().describe('Why it is blocked, for example the failed AnalysisRun and its message.'),
});

/** A blocklist entry. */
export type BlockedVersion = z.infer<typeof BlockedVersionSchema>;

/** Spec of a VersionBlocklist. */
export const VersionBlocklistSpecSchema = z.object({
  items: z.array(BlockedVersionSchema).describe('Blocked versions.'),
});

/** Status of a VersionBlocklist. */
export const VersionBlocklistStatusSchema = z.object({
  ...syncStatusFields,
});

/** A VersionBlocklist object. */
export const VersionBlocklistSchema = kubeObject(VersionBlocklistSpecSchema, VersionBlocklistStatusSchema);

/** A VersionBlocklist. */
export type VersionBlocklist = z.infer<typeof VersionBlocklistSchema>;
