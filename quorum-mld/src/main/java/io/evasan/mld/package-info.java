/**
 * The MLD (seed 004 [0063]): the appliance's catalogue (disk groups, logical disk names,
 * sizes, RAID layout, timestamps, pointers to the per-LUN maps, later presentation and the
 * admin credential hash) kept as an extensible record store of {@code (kind, key) -> bytes}
 * and written mirrored onto the quorum areas of several drives.
 *
 * <p>A slot holds a checkpoint of the whole state (see {@link io.evasan.mld.MldBlockDescriptor})
 * followed by a log of later commits (see {@link io.evasan.mld.MldLogDescriptor}), each with a
 * generation number and CRC32C checksums: a commit appends one record, or, once the log would
 * outgrow its checkpoint, writes a new checkpoint into the other of the two slots per drive, so a
 * torn write never destroys the last good copy and a commit costs O(1) amortized. Opening reads both
 * slots of every available quorum area and takes the highest valid generation; copies that are
 * torn, stale or fail their checksum are rewritten from a good copy at open (logged). A commit
 * seal per slot tells an acknowledged generation lost on every copy (open refuses; see
 * quorum-mld/README.md, Recovery) from a torn commit that never returned (open falls back).
 */
package io.evasan.mld;
