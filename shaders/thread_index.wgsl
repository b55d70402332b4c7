// Included before the one-invocation-per-element kernels. A launch too big for one grid
// dimension is folded into two (grid1d in src/backends/webgpu/dispatch.ts); this rebuilds the index.
fn threadIndex(group: vec3u, groups: vec3u, lane: u32) -> u32 {
  return (group.y * groups.x + group.x) * WORKGROUP_SIZE + lane;
}
