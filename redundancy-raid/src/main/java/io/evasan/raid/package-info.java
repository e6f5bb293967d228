/**
 * The RAID layer: drives, PSEGs, RSSs, RStores (RAID0/1/5), degraded operation and rebuild
 * (seed 004 [0044]-[0083]).
 *
 * <h2>Geometry</h2>
 * A drive (file or block device, 512-byte sectors, positional I/O) carries a label (two
 * copies), 8 MiB of quorum space for the MLD layer, a PSEG table, then 2 MB PSEGs
 * ({@link io.evasan.raid.drive.DriveLabelDescriptor}). Drives of a disk group form RSSs of up
 * to 12 drives (the seed's member indices 0..11; usable from 6); slots 2k/2k+1 are RAID1 pairs
 * and are filled in capacity order so paired drives match. An RStore is 8 MB of virtual space
 * striped in 64 KiB units over 4 data columns ({@link io.evasan.raid.rstore.impl.RStoreImpl}).
 *
 * <h2>Why RSDs persist in per-drive PSEG tables</h2>
 * The disk group describes itself (DESIGN section 8) without any other metadata store: every
 * PSEG has a 128-byte entry in its drive's PSEG table holding a full copy of the RSD that owns
 * it ({@link io.evasan.raid.rsd.RsdDescriptor}: RSD id, RSS, level, member list, PSEG numbers,
 * generation, stale mask, CRC32C). So
 * <ul>
 * <li>allocation is one 128-byte pwrite per member before {@code allocate} returns (durable
 *     against kill -9; {@code flush()} adds fsync for power loss), with no shared log or index
 *     to update and no global lock on the data path;</li>
 * <li>opening scans the tables (a few hundred KiB per drive) and takes, for each RSD id, the
 *     copy with the highest generation; any surviving member suffices, so RSDs survive the loss
 *     of drives as well as the data does;</li>
 * <li>rebuild, resync and (later) leveling change an RStore by writing the new RSD (generation
 *     + 1) to its members' entries and releasing old PSEGs: only RSD records change, the
 *     mapping layer's pointer (the RSD id) stays;</li>
 * <li>freeing writes FREED tombstones (generation + 1); moved-away PSEGs get RELEASED
 *     tombstones; stale copies are recognised by generation, and a copy whose PSEGs are found
 *     in use by other RSDs is dead, so a freed RSD cannot come back.</li>
 * </ul>
 * A member skipped by a write (drive failed or missing) is marked stale in the RSD before the
 * write is acknowledged, so a drive that returns never serves old data; re-adding it
 * resynchronises stale members in place.
 *
 * <h2>The write hole</h2>
 * Writes in flight at a crash can leave RAID5 parity or a RAID1 pair inconsistent. With all
 * members present that is harmless: every member holds its old or its new bytes, and a missing
 * clean-shutdown marker ({@code pool.clean}) makes open run a resync that recomputes parity and
 * mirrors from the data, of the RStores marked in the group's write-intent bitmap only
 * ({@link io.evasan.raid.bitmap.impl.WriteIntentBitmap}, layout
 * {@link io.evasan.raid.bitmap.BitmapDescriptor}: a bit per RStore, durable before its first write,
 * cleared lazily once quiet and forced), so recovery is in proportion to what was in flight; a
 * missing or torn bitmap means a resync of every RStore. A degraded RAID5 row (a data member unusable, parity usable) is
 * different: the lost member exists only as P xor the other members, so a crash between the
 * data-member write and the parity write turns it into garbage, including sectors nobody was
 * writing, and neither resync (it would need the lost data) nor replaying the write through the
 * RAID layer can repair it. Such row writes therefore go through a write-ahead journal
 * ({@link io.evasan.raid.journal.impl.RowJournal}, layout
 * {@link io.evasan.raid.journal.JournalDescriptor}): a file {@code group-<id>.journal} next to
 * {@code pool.clean}, so it survives the loss of any drive. The record (every in-place member
 * write: drive, offset, bytes; CRC32C, sequence, pool/group, RSD id and generation) is written
 * before the in-place writes and retired after them, under the row lock; open replays every
 * valid record before resync and before any read. Non-degraded writes, degraded RAID1 writes
 * and RAID5 writes with parity lost touch each member once and are not journaled, so the journal
 * costs one extra sequential write and one fsync (power-loss safety; opt out with
 * {@code -Devasan.raid.journal.fsync=false}) per degraded RAID5 row write only.
 */
package io.evasan.raid;
