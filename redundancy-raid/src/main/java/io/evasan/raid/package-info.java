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
 * resynchronises stale members in place. Writes in flight at a crash can leave RAID5 parity or
 * a RAID1 pair inconsistent (the write hole); a missing clean-shutdown marker
 * ({@code pool.clean}) makes open run a resync that recomputes parity and mirrors.
 */
package io.evasan.raid;
