package io.evasan.raid;

import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.impl.DiskGroupImpl;
import io.evasan.raid.journal.JournalDescriptor;
import io.evasan.raid.journal.JournalDescriptor.Entry;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Journal records planted in a cleanly closed pool's journal file: only a record that is
 * intact, of this pool and group, and names the current members of a live RStore is replayed;
 * a torn one, a foreign one, one of a freed RSD pointing at space now used by another RSD, one
 * of a newer generation or of other PSEGs writes nothing. Plus concurrent degraded writes from
 * more threads than journal slots against an in-memory model.
 */
class JournalReplayTest {
    private static final int ROW = 3;

    @TempDir
    Path dir;

    private record Setup(UUID poolId, long freedId, Rsd live, byte[] junk) {
    }

    /** Pool with RSD A (allocated, freed) and RSD B (live, filled); closed cleanly. */
    private Setup setup() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 << 20))) {
            DiskGroup g = pool.diskGroup(0);
            RStore a = g.allocate(RaidLevel.RAID5);
            long freedId = a.rsdId();
            g.free(freedId);
            RStore b = g.allocate(RaidLevel.RAID5);
            b.write(0, ByteBuffer.wrap(KillChild.data(b.rsdId(), 0, (int) RStore.SIZE_BYTES)));
            byte[] junk = new byte[4096];
            new Random(7).nextBytes(junk);
            return new Setup(pool.id(), freedId, g.rsd(b.rsdId()), junk);
        }
    }

    /** A record image writing {@code junk} to member 0 of {@code r} at row ROW, offset 0. */
    static ByteBuffer record(UUID pool, int group, long rsdId, long gen, Rsd r, int pseg, byte[] junk, long seq) {
        ByteBuffer img = ByteBuffer.allocate(JournalDescriptor.SLOT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int psegCount = DriveLabelDescriptor.psegCount(64L << 20);
        int psegOff = ROW * RStoreImpl.UNIT;
        long abs = DriveLabelDescriptor.dataOffset(psegCount) + (long) pseg * DriveLabelDescriptor.PSEG_BYTES + psegOff;
        JournalDescriptor.putEntry(img, 0, new Entry(r.drive(0), 0, pseg, abs, psegOff, junk.length, 0));
        img.put(JournalDescriptor.payloadAt(0), junk);
        JournalDescriptor.putHeader(img, seq, pool, group, ROW, rsdId, gen, 1, junk.length);
        JournalDescriptor.seal(img);
        img.clear().limit(JournalDescriptor.HEADER_BYTES + junk.length);
        return img;
    }

    private void plant(int slot, ByteBuffer img) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve(JournalDescriptor.fileName(0)), StandardOpenOption.WRITE)) {
            while (img.hasRemaining()) {
                ch.write(img, JournalDescriptor.slotOffset(slot) + img.position());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"torn", "foreign-pool", "other-group", "freed-rsd-on-reused-space", "newer-generation",
        "other-pseg", "garbage"})
    void shouldNotReplayRecordsThatDoNotMatch(String kind) throws Exception {
        Setup s = setup();
        Rsd r = s.live();
        ByteBuffer img = switch (kind) {
            case "torn" -> {
                ByteBuffer b = record(s.poolId(), 0, r.rsdId(), r.generation(), r, r.pseg(0), s.junk(), 1);
                b.put(JournalDescriptor.payloadAt(100), (byte) (b.get(JournalDescriptor.payloadAt(100)) ^ 1));
                yield b;
            }
            case "foreign-pool" -> record(UUID.randomUUID(), 0, r.rsdId(), r.generation(), r, r.pseg(0), s.junk(), 1);
            case "other-group" -> record(s.poolId(), 1, r.rsdId(), r.generation(), r, r.pseg(0), s.junk(), 1);
            case "freed-rsd-on-reused-space" -> record(s.poolId(), 0, s.freedId(), r.generation(), r, r.pseg(0), s.junk(), 1);
            case "newer-generation" -> record(s.poolId(), 0, r.rsdId(), r.generation() + 1, r, r.pseg(0), s.junk(), 1);
            case "other-pseg" -> record(s.poolId(), 0, r.rsdId(), r.generation(), r, r.pseg(0) + 1, s.junk(), 1);
            case "garbage" -> {
                ByteBuffer b = ByteBuffer.allocate(JournalDescriptor.HEADER_BYTES + 4096);
                new Random(11).nextBytes(b.array());
                b.putInt(0, JournalDescriptor.MAGIC);
                yield b;
            }
            default -> throw new IllegalArgumentException(kind);
        };
        plant(2, img);
        byte[] before;
        try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
            DiskGroup g = pool.diskGroup(0);
            DiskGroupImpl gi = (DiskGroupImpl) g;
            assertEquals(0.0, gi.stats().journalReplayed(), kind);
            assertEquals(1.0, gi.stats().journalDiscarded(), kind);
            before = RaidTestSupport.raw(g, r.drive(0), r.pseg(0), (long) ROW * RStoreImpl.UNIT, 4096);
            assertFalse(Arrays.equals(before, s.junk()), kind + ": nothing replayed onto member 0");
            RaidTestSupport.assertSame(KillChild.data(r.rsdId(), 0, (int) RStore.SIZE_BYTES), g.rstore(r.rsdId()), kind);
            RaidTestSupport.checkRedundancy(g, r.rsdId());
        }
        try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
            assertEquals(0.0, ((DiskGroupImpl) pool.diskGroup(0)).stats().journalDiscarded(), kind + ": retired at open");
        }
    }

    /** Control for the test above: the same record, matching, is replayed (junk lands on member 0). */
    @Test
    void shouldReplayAMatchingRecord() throws Exception {
        Setup s = setup();
        Rsd r = s.live();
        plant(5, record(s.poolId(), 0, r.rsdId(), r.generation(), r, r.pseg(0), s.junk(), 9));
        try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
            DiskGroup g = pool.diskGroup(0);
            assertEquals(1.0, ((DiskGroupImpl) g).stats().journalReplayed());
            assertArrayEquals(s.junk(), RaidTestSupport.raw(g, r.drive(0), r.pseg(0), (long) ROW * RStoreImpl.UNIT, 4096));
        }
    }

    /** With -Devasan.raid.journal.fsync=true records are fsynced before the in-place writes; data as without. */
    @Test
    void shouldJournalWithFsyncWhenAsked() throws Exception {
        System.setProperty(io.evasan.raid.journal.impl.RowJournal.FSYNC_PROPERTY, "true");
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 << 20))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            byte[] model = KillChild.data(s.rsdId(), 0, (int) RStore.SIZE_BYTES);
            s.write(0, ByteBuffer.wrap(model));
            Rsd r = g.rsd(s.rsdId());
            g.failDrive(r.drive(r.parityMember() == 0 ? 1 : 0));
            byte[] d = KillChild.data(99, 0, 3 * RStoreImpl.UNIT);
            long off = RStoreImpl.UNIT / 2;
            s.write(off, ByteBuffer.wrap(d));
            System.arraycopy(d, 0, model, (int) off, d.length);
            assertEquals(1.0, ((DiskGroupImpl) g).stats().journaledWrites());
            RaidTestSupport.assertSame(model, s, "fsynced journal");
        } finally {
            System.clearProperty(io.evasan.raid.journal.impl.RowJournal.FSYNC_PROPERTY);
        }
    }

    /**
     * Degraded RAID5 writes from 16 threads (twice the journal's slots) to overlapping and
     * disjoint rows of three RStores against an in-memory model; every write goes through the
     * journal and every slot is retired at the end.
     */
    @Test
    void shouldJournalConcurrentDegradedWritesWithBackPressure() throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("JournalReplayTest seed=" + seed);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 << 20))) {
            DiskGroup g = pool.diskGroup(0);
            RStore[] st = new RStore[3];
            byte[][] model = new byte[3][];
            for (int i = 0; i < st.length; i++) {
                st[i] = g.allocate(RaidLevel.RAID5);
                model[i] = KillChild.data(st[i].rsdId(), 0, (int) RStore.SIZE_BYTES);
                st[i].write(0, ByteBuffer.wrap(model[i]));
            }
            Rsd r0 = g.rsd(st[0].rsdId());
            g.failDrive(r0.drive(r0.parityMember() == 0 ? 1 : 0)); // a data member of RStore 0 (others: any member)
            int threads = 16;
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            Future<?>[] fs = new Future<?>[threads];
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs[t] = ex.submit(() -> {
                    Random rnd = new Random(seed + tt);
                    RStore s = st[tt % 3];
                    // each thread owns the 512-byte sectors with index % 16 == tt / 3 ... disjoint per RStore
                    for (int k = 0; k < 40; k++) {
                        int row = rnd.nextInt(RStoreImpl.ROWS);
                        int sec = rnd.nextInt(RStoreImpl.UNIT * 4 / 512 / 16) * 16 + tt / 3;
                        long off = (long) row * RStoreImpl.UNIT * 4 + sec * 512L;
                        byte[] d = KillChild.data(seed * 31 + tt * 1000 + k, off, 512);
                        s.write(off, ByteBuffer.wrap(d));
                        synchronized (model) {
                            System.arraycopy(d, 0, model[tt % 3], (int) off, 512);
                        }
                    }
                    return null;
                });
            }
            for (Future<?> f : fs) {
                f.get();
            }
            ex.shutdown();
            DiskGroupImpl gi = (DiskGroupImpl) g;
            assertEquals(true, gi.stats().journaledWrites() > 0, "degraded writes were journaled");
            for (int i = 0; i < st.length; i++) {
                RaidTestSupport.assertSame(model[i], st[i], "seed=" + seed + " RStore " + i);
            }
            ByteBuffer hdr = ByteBuffer.allocate(JournalDescriptor.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            try (FileChannel ch = FileChannel.open(dir.resolve(JournalDescriptor.fileName(0)), StandardOpenOption.READ)) {
                for (int slot = 0; slot < JournalDescriptor.SLOTS; slot++) {
                    hdr.clear();
                    ch.read(hdr, JournalDescriptor.slotOffset(slot));
                    hdr.flip();
                    assertEquals(true, JournalDescriptor.isRetired(hdr), "slot " + slot + " retired");
                }
            }
        }
    }
}
