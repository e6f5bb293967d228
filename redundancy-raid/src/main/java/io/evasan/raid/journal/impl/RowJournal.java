package io.evasan.raid.journal.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.JournalDescriptor.Entry;
import io.evasan.raid.journal.JournalDescriptor.Record;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The write-ahead journal of a disk group's degraded RAID5 row writes (layout:
 * {@link JournalDescriptor}), a file in the pool directory so it survives the loss of any drive.
 *
 * <p>Protocol, per row write in which a data member is unusable and parity usable (the row
 * lock held throughout): {@link #claim} a free slot (blocks while all {@link JournalDescriptor#SLOTS}
 * are in use: back-pressure, no allocation per I/O), {@link Slot#add} every in-place member write
 * (drive, absolute offset, bytes), {@link Slot#commit} (one positional write of header and
 * payload, CRC32C over both), then the in-place writes, then {@link Slot#retire} (the header
 * sector overwritten with zeros) before the row lock is released. At open the disk group
 * replays every valid record of {@link #pending} and then {@link #retireAll}.
 *
 * <p>Invariants: a valid record on disk was committed under its row's lock and its in-place
 * writes may have been interrupted; it is the last write of its row, because every record is
 * retired before its row lock is released and all records are replayed and retired at open
 * before any new write. One exception, harmless: after a rebuild the row's writes are no longer
 * journaled, so a retirement still unforced when a power cut hits inside a flush (drives forced,
 * journal not yet) lets the record replay over newer writes of that row; none of them was
 * acknowledged as forced (the flush did not complete; every completed flush forces this journal
 * after the drives), and resync recomputes the parity it wrote. Replaying a record rewrites the same bytes at the same places, so a
 * replay is idempotent.
 *
 * <p>Why a stale record never lands on reused space: a record outlives its write only through a
 * crash while its row lock was held, and nothing else touched that row afterwards (writes of the
 * row wait for the lock, a rebuild commit takes every row lock, open replays and retires before
 * any write). What can change without the row lock is the RSD itself: it may be freed and its
 * PSEGs given to another RSD while the write is in flight. So replay also checks the record
 * against the RSDs found at open ({@code RStoreImpl#replay}): the RSD id must be live, its
 * generation not older than the record's, and every written member still on the recorded drive
 * and PSEG at the recorded byte offset; otherwise nothing of the record is written. Records of
 * another pool or disk group (a copied file) are ignored too.
 *
 * <p>Durability matches the data path: records and retirements are positional writes that
 * survive kill -9 through the page cache, and {@link #force} (called by the disk group's flush)
 * fsyncs the journal with the drives. By default every record is also fsynced before its
 * in-place writes start, which closes the degraded write hole for power loss too (one fsync per
 * degraded RAID5 row write; {@code RaidPowerCutTest}). {@code -Devasan.raid.journal.fsync=false}
 * drops that fsync and with it the power-loss guarantee for degraded rows (kill -9 stays safe).
 */
public final class RowJournal implements AutoCloseable {
    /** System property, default true: fsync each record before its in-place writes (power-loss safety). */
    public static final String FSYNC_PROPERTY = "evasan.raid.journal.fsync";

    private final Path path;
    private final UUID poolId;
    private final int groupId;
    private volatile FileChannel channel;
    private volatile boolean closed;
    private final boolean fsync;
    private io.evasan.raid.io.ChannelOpener files = io.evasan.raid.io.ChannelOpener.DEFAULT;
    private final ArrayBlockingQueue<Slot> free = new ArrayBlockingQueue<>(JournalDescriptor.SLOTS);
    private final AtomicLong sequence = new AtomicLong(1);
    private volatile boolean broken;

    private RowJournal(Path path, UUID poolId, int groupId, FileChannel channel, boolean fsync) {
        this.path = path;
        this.poolId = poolId;
        this.groupId = groupId;
        this.channel = channel;
        this.fsync = fsync;
        for (int i = 0; i < JournalDescriptor.SLOTS; i++) {
            free.add(new Slot(i));
        }
    }

    /** Opens (creating it if missing) the journal file of disk group {@code groupId} of pool {@code poolId}. */
    public static RowJournal open(Path path, UUID poolId, int groupId) {
        return open(io.evasan.raid.io.ChannelOpener.DEFAULT, path, poolId, groupId);
    }

    /** As {@link #open(Path, UUID, int)}, the file opened through {@code files} (test seam). */
    public static RowJournal open(io.evasan.raid.io.ChannelOpener files, Path path, UUID poolId, int groupId) {
        try {
            FileChannel ch = files.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            RowJournal j = new RowJournal(path, poolId, groupId, ch, !"false".equalsIgnoreCase(System.getProperty(FSYNC_PROPERTY, "true")));
            j.files = files;
            return j;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open write journal " + path + ": " + e.getMessage(), e);
        }
    }

    /** True when every record is fsynced before its in-place writes ({@link #FSYNC_PROPERTY}). */
    public boolean fsyncs() {
        return fsync;
    }

    public Path path() {
        return path;
    }

    /**
     * The valid records of this pool and group, oldest first (by sequence number). Records of
     * another pool or group (a copied file) and torn or corrupt slots are left out; the count of
     * those that held something is in {@code ignored[0]} if given.
     */
    public List<Record> pending(int[] ignored) {
        List<Record> out = new ArrayList<>();
        int bad = 0;
        long max = 0;
        try {
            long size = channel.size();
            for (int i = 0; i < JournalDescriptor.SLOTS; i++) {
                long at = JournalDescriptor.slotOffset(i);
                if (at >= size) {
                    break;
                }
                ByteBuffer b = ByteBuffer.allocate((int) Math.min(JournalDescriptor.SLOT_BYTES, size - at))
                        .order(ByteOrder.LITTLE_ENDIAN);
                while (b.hasRemaining() && channel.read(b, at + b.position()) >= 0) {
                    // fill
                }
                b.flip();
                if (JournalDescriptor.isRetired(b)) {
                    continue;
                }
                Record r = JournalDescriptor.decode(i, b);
                if (r == null || !r.poolId().equals(poolId) || r.groupId() != groupId) {
                    bad++;
                    continue;
                }
                max = Math.max(max, r.sequence());
                out.add(r);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read write journal " + path + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparingLong(Record::sequence));
        sequence.set(Math.max(sequence.get(), max + 1));
        if (ignored != null) {
            ignored[0] = bad;
        }
        return out;
    }

    /** Retires every slot (zero headers) and fsyncs the file; the disk group calls it after replay. */
    public void retireAll() {
        ByteBuffer zero = ByteBuffer.allocate(JournalDescriptor.HEADER_BYTES);
        try {
            long size = channel.size();
            for (int i = 0; i < JournalDescriptor.SLOTS && JournalDescriptor.slotOffset(i) < size; i++) {
                zero.clear();
                writeFully(zero, JournalDescriptor.slotOffset(i));
            }
            forceFully();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot retire write journal " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Claims a free slot for one row write, waiting while all are in use. WRITE_FAULT if the
     * journal failed earlier (a record could not be retired) or the wait was interrupted.
     */
    public Slot claim() {
        if (broken) {
            throw brokenFault();
        }
        try {
            Slot s = free.take();
            if (broken) {
                free.add(s);
                throw brokenFault();
            }
            if (s.img == null) {
                // once per slot for the life of the journal, not per I/O
                s.img = ByteBuffer.allocate(JournalDescriptor.SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            }
            s.count = 0;
            s.payload = 0;
            s.held = true;
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(ErrorCode.WRITE_FAULT, "interrupted waiting for a write journal slot", e);
        }
    }

    private StorageException brokenFault() {
        return new StorageException(ErrorCode.WRITE_FAULT, "write journal " + path + " failed earlier; degraded"
                + " RAID5 writes are refused until the pool is reopened");
    }

    /** fsyncs the journal file (disk group flush). */
    public void force() {
        try {
            forceFully();
        } catch (IOException e) {
            throw new StorageException(ErrorCode.WRITE_FAULT, "cannot fsync write journal " + path + ": " + e.getMessage(), e);
        }
    }

    /** fsync, with the interrupt handling of {@link #writeFully}. */
    private void forceFully() throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    ch.force(false);
                    return;
                } catch (java.nio.channels.ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    if (closed || attempt >= 3) {
                        throw e;
                    }
                    reopen(ch);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing left to protect
        }
    }

    /**
     * Writes {@code b} (position..limit) at byte {@code at}. The journal protocol must not be cut
     * short by a thread interrupt (the JDK closes a channel when a thread blocked in I/O on it is
     * interrupted): the write runs with the interrupt flag cleared, a channel closed by an
     * interrupt is reopened and the write redone (same bytes, same place), and the flag is
     * restored afterwards.
     */
    private void writeFully(ByteBuffer b, long at) throws IOException {
        boolean interrupted = Thread.interrupted();
        int p0 = b.position();
        try {
            for (int attempt = 0; ; attempt++) {
                FileChannel ch = channel;
                try {
                    long p = at;
                    while (b.hasRemaining()) {
                        p += ch.write(b, p);
                    }
                    return;
                } catch (java.nio.channels.ClosedChannelException e) {
                    interrupted |= Thread.interrupted();
                    if (closed || attempt >= 3) {
                        throw e;
                    }
                    reopen(ch);
                    b.position(p0);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void reopen(FileChannel dead) throws IOException {
        if (channel == dead && !closed) {
            channel = files.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
    }

    /** One claimed slot: add the writes, commit, do them, retire. Not thread-safe (one writer). */
    public final class Slot {
        private final int index;
        private final ByteBuffer zero = ByteBuffer.allocate(JournalDescriptor.HEADER_BYTES);
        private ByteBuffer img;
        private int count;
        private int payload;
        private long rsdId;
        private long generation;
        private int row;
        private boolean held;

        private Slot(int index) {
            this.index = index;
        }

        public int index() {
            return index;
        }

        /** Starts the record of a write to row {@code row} of RSD {@code rsdId} at {@code generation}. */
        public void begin(long rsdId, long generation, int row) {
            this.rsdId = rsdId;
            this.generation = generation;
            this.row = row;
            this.count = 0;
            this.payload = 0;
        }

        /**
         * Adds the in-place write of {@code src[p, p + n)} (absolute indices, positions untouched)
         * to member {@code member} (drive {@code drive}, PSEG {@code pseg}) at byte {@code psegOffset}
         * of the PSEG, absolute drive byte {@code driveOffset}.
         */
        public void add(int drive, int member, int pseg, long driveOffset, int psegOffset, ByteBuffer src, int p, int n) {
            if (count >= JournalDescriptor.MAX_WRITES || payload + n > JournalDescriptor.MAX_PAYLOAD) {
                throw new IllegalStateException("journal record overflow: " + (count + 1) + " writes, "
                        + (payload + n) + " bytes");
            }
            JournalDescriptor.putEntry(img, count, new Entry(drive, member, pseg, driveOffset, psegOffset, n, payload));
            img.put(JournalDescriptor.payloadAt(payload), src, p, n);
            count++;
            payload += n;
        }

        /** Writes the record (header, payload, CRC) to the slot: from now on a crash replays it. */
        public void commit() {
            JournalDescriptor.putHeader(img, sequence.getAndIncrement(), poolId, groupId, row, rsdId,
                    generation, count, payload);
            JournalDescriptor.seal(img);
            img.limit(JournalDescriptor.HEADER_BYTES + payload).position(0);
            try {
                writeFully(img, JournalDescriptor.slotOffset(index));
                if (fsync) {
                    forceFully();
                }
            } catch (IOException e) {
                img.clear();
                retire(); // the record may have reached the file partly or wholly: never leave it valid
                throw new StorageException(ErrorCode.WRITE_FAULT, "cannot write journal record to " + path + ": "
                        + e.getMessage(), e);
            }
            img.clear();
        }

        /** Gives back a slot whose record was never committed (nothing written to the file). */
        public void abandon() {
            if (held) {
                held = false;
                free.add(this);
            }
        }

        /**
         * Retires the record (zero header sector) and frees the slot. If that write fails the
         * record stays valid, the slot is not reused and the journal refuses further records
         * (WRITE_FAULT) until the pool is reopened.
         */
        public void retire() {
            zero.clear();
            try {
                writeFully(zero, JournalDescriptor.slotOffset(index));
            } catch (IOException e) {
                broken = true;
                held = false; // never reused: the record on disk may still be valid
                throw new StorageException(ErrorCode.WRITE_FAULT, "cannot retire journal record in " + path + ": "
                        + e.getMessage(), e);
            }
            if (held) {
                held = false;
                free.add(this);
            }
        }
    }
}
