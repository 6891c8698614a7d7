// Types of architecture.config.js (plain JavaScript so that eslint.config.js can load it).
export interface Layer {
  name: string;
  paths: string[];
}
export interface PackageRule {
  names: string[];
  allowed: string[];
  typesAllowed?: string[];
}
export const layers: Layer[];
export const surfaceRules: { enginePorts: string[]; ownStore: string };
export const packages: PackageRule[];
export function matches(file: string, pattern: string): boolean;
export function layerOf(file: string): number;
export function namesPackage(specifier: string, name: string): boolean;
