/**
 * The instance types the sandbox's EC2 offers (DescribeInstanceTypes) and accepts
 * (ModifyInstanceAttribute): a slice of EC2's real catalogue with its real vCPU and memory, the
 * same in every region. The provider learns valid sizes from here through the SDK, not from a list
 * of its own.
 */

export interface SandboxInstanceType {
  name: string;
  vcpu: number;
  memoryMib: number;
}

// family → [size, vCPU, GiB] for the general x86 families
const families: Record<string, Array<[string, number, number]>> = {
  t3: [
    ['nano', 2, 0.5],
    ['micro', 2, 1],
    ['small', 2, 2],
    ['medium', 2, 4],
    ['large', 2, 8],
    ['xlarge', 4, 16],
    ['2xlarge', 8, 32],
  ],
  m5: [
    ['large', 2, 8],
    ['xlarge', 4, 16],
    ['2xlarge', 8, 32],
    ['4xlarge', 16, 64],
  ],
  c5: [
    ['large', 2, 4],
    ['xlarge', 4, 8],
    ['2xlarge', 8, 16],
    ['4xlarge', 16, 32],
  ],
  r5: [
    ['large', 2, 16],
    ['xlarge', 4, 32],
    ['2xlarge', 8, 64],
    ['4xlarge', 16, 128],
  ],
};
/** Families with the same shapes as an older one (t3a like t3, m6i/m7i like m5, …). */
const sameShape: Record<string, string> = { t3a: 't3', m6i: 'm5', m7i: 'm5', c6i: 'c5', c7i: 'c5', r6i: 'r5' };

export const sandboxInstanceTypeCatalogue: SandboxInstanceType[] = [
  ...Object.keys(families),
  ...Object.keys(sameShape),
].flatMap((family) =>
  (families[family] ?? families[sameShape[family]!]!).map(([size, vcpu, gib]) => ({
    name: `${family}.${size}`,
    vcpu,
    memoryMib: gib * 1024,
  })),
);

/** Instance type names the sandbox accepts, e.g. for ModifyInstanceAttribute. */
export const sandboxInstanceTypes: string[] = sandboxInstanceTypeCatalogue.map((t) => t.name);
