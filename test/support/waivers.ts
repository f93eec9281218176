/**
 * The waiver the issue asked for, on the hardened fixture's one failure (Capsule's controller
 * holding cluster-admin, MT-05): the config text a team writes in `.kposture.yaml`.
 */
export const CAPSULE_WAIVER = `waivers:
  - check: MT-05
    kind: ClusterRoleBinding
    name: capsule-manager-rolebinding
    reason: Capsule's controller needs cluster-admin to manage tenants
    owner: platform-team
    expires: 2027-06-30
`;
