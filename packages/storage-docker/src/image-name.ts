import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { FlowenvError } from '@flowenv/core';
import { flowSlug } from './flow-slug.js';

/** A Docker repository path: lower-case components separated by `/` (Docker's reference grammar). */
export const imageNamePattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** A Docker tag: up to 128 word characters, dots and dashes, not starting with either. */
export const imageTagPattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A registry host with an optional port and path prefix, without a scheme: `127.0.0.1:5000`, `registry.example.com/team`. */
export const registryUrlPattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\/?$/;

export interface ImageReference {
  registryUrl?: string | undefined;
  imageName?: string | undefined;
  imageTag?: string | undefined;
}

/** `<registry>/<image>`, joined as a POSIX path like 0.11 (`test1` + `test2` → `test1/test2`); the image alone without a registry. */
export function imageRepository(registryUrl: string | undefined, imageName: string): string {
  return registryUrl ? posix.join(registryUrl, imageName) : imageName;
}

/**
 * The full image name `<registry>/<image>:<tag>` (`test1/test2:test3`; `test2:test3` without a
 * registry). As in 0.11 it is an error to ask before the image name and tag are known.
 */
export function fullImageName(reference: ImageReference): string {
  const { registryUrl, imageName, imageTag } = reference;
  if (!imageName || !imageTag) {
    const missing = [imageName ? undefined : 'imageName', imageTag ? undefined : 'imageTag'].filter(Boolean).join(' and ');
    throw new FlowenvError({
      code: 'STORAGE_INVALID',
      message: `DockerStorage: the image name is not known yet (${missing} unset): pass ${missing} or call build() first, which picks defaults`,
    });
  }
  return `${imageRepository(registryUrl, imageName)}:${imageTag}`;
}

/** The registry host (`127.0.0.1:5000` of `127.0.0.1:5000/team`): what credentials are for. */
export function registryHost(registryUrl: string): string {
  return registryUrl.split('/')[0] as string;
}

/**
 * The tag build() gives an image when none was set: the UTC time to the second and six random hex
 * digits, so two builds never share a tag (`20261127-231005-a1b2c3`).
 */
export function defaultImageTag(now: Date = new Date(), random: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, '').replace(/[-:]/g, '').replace('T', '-');
  return `${stamp}-${random}`;
}

/**
 * The image name build() uses when none was set, as 0.11: the flow's slug when the storage holds
 * exactly one flow, else a random name.
 */
export function defaultImageName(flowNames: readonly string[], random: string = randomBytes(4).toString('hex')): string {
  if (flowNames.length === 1) return flowSlug(flowNames[0] as string);
  return `flowenv-flows-${random}`;
}
