/**
 * The MLD (seed 004 [0063]): the appliance's catalogue (disk groups, logical disk names,
 * sizes, RAID layout, timestamps, pointers to the per-LUN maps, later presentation and the
 * admin credential hash) kept as an extensible record store of {@code (kind, key) -> bytes}
 * and written mirrored onto the quorum areas of several drives.
 *
 * <p>Every commit is written as one block (see {@link io.evasan.mld.MldBlockDescriptor}) with a
 * generation number and CRC32C checksums into one of two slots per drive (ping-pong by
 * generation parity), so a torn write never destroys the last good copy. Opening reads both
 * slots of every available quorum area and takes the highest valid generation; copies that are
 * torn, stale or fail their checksum are rewritten from a good copy at open (logged). A commit
 * seal per slot tells an acknowledged generation lost on every copy (open refuses; see
 * quorum-mld/README.md, Recovery) from a torn commit that never returned (open falls back).
 */
package io.evasan.mld;
