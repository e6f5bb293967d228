package io.evasan.raid.rstore;

import io.evasan.error.StorageException;

import java.nio.ByteBuffer;

/**
 * A redundant store: 8 MB of virtual space built from PSEGs on distinct drives of one RSS
 * (seed 004 [0072]-[0075]). The mapping layer points at RStores by {@link #rsdId()} only, so
 * moving members (rebuild, leveling) never changes any map above the RSD ([0111]).
 *
 * <p>Invariants: offsets and lengths are multiples of 512; a read returns exactly the bytes
 * last written or zeros for never-written space, or throws
 * {@code StorageException(UNRECOVERABLE_READ)} for the affected range, never wrong data.
 * A completed write is visible to every later read and survives process death ({@code kill -9});
 * survival of power loss needs {@link io.evasan.raid.DiskGroup#flush()}.
 * Implementations are thread-safe; concurrent writes to overlapping ranges are the caller's
 * ordering problem, but parity is never left inconsistent by two writes to one stripe.
 */
public interface RStore {
    /** Virtual size of every RStore: 8 MB. */
    long SIZE_BYTES = 8L << 20;
    /** Sector size. */
    int SECTOR = 512;

    /** Identity of the RSD record describing this RStore; stable for its lifetime. */
    long rsdId();

    RaidLevel level();

    /** Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst}, advancing its position. */
    void read(long offset, ByteBuffer dst) throws StorageException;

    /** Writes {@code src.remaining()} bytes at {@code offset} from {@code src}, advancing its position. */
    void write(long offset, ByteBuffer src) throws StorageException;

    /**
     * Makes every write to this RStore that returned before the call durable: forces its member drives (and the
     * members it is migrating to, if any) and, for RAID5, the disk group's journal of degraded row writes — not
     * the group's other drives. A narrower {@code DiskGroup.flush()} for a caller that must order one RStore's data
     * before a record that points at it.
     *
     * @throws StorageException WRITE_FAULT when a member drive cannot be forced
     */
    void force() throws StorageException;

    /**
     * The byte ranges {@code {start, end}} of this RStore's virtual space that a read answers with
     * {@code UNRECOVERABLE_READ} now because redundancy is gone (members stale or on unavailable drives),
     * sorted and disjoint; empty when every byte is readable. Changes nothing.
     */
    java.util.List<long[]> lostRanges();
}
