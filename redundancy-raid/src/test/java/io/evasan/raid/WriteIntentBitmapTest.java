package io.evasan.raid;

import io.evasan.error.StorageException;
import io.evasan.raid.bitmap.BitmapDescriptor;
import io.evasan.raid.bitmap.impl.WriteIntentBitmap;
import io.evasan.raid.impl.DiskGroupImpl;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.evasan.raid.powercut.SectorModel;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.raid.rstore.impl.RStoreImpl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write-intent bitmap ({@link WriteIntentBitmap}): after an unclean stop only the RStores
 * marked in it are resynchronised, a write never reaches a member without its bit durable first,
 * a torn or missing bitmap means a full resync, and a clean stop leaves it empty. Crashes are
 * {@link PowerCut}s at seeded points (unforced writes dropped, torn or reordered: harsher than
 * kill -9, which keeps the page cache). Each iteration prints its seed.
 */
class WriteIntentBitmapTest {
    private static final int RAID5_STORES = 12;
    private static final int RAID1_STORES = 4;

    @TempDir
    Path tmp;

    @BeforeEach
    void noBackgroundClearing() {
        // clearing passes run only when a test calls clearQuiet: the marks are then deterministic
        System.setProperty(WriteIntentBitmap.QUIET_MILLIS_PROPERTY, Long.toString(TimeUnit.HOURS.toMillis(1)));
    }

    @AfterEach
    void clearProperty() {
        System.clearProperty(WriteIntentBitmap.QUIET_MILLIS_PROPERTY);
    }

    private static DiskGroupImpl group(Pool p) {
        return (DiskGroupImpl) p.diskGroup(0);
    }

    private static List<RStore> allocate(DiskGroup g) {
        List<RStore> out = new ArrayList<>();
        for (int i = 0; i < RAID5_STORES; i++) {
            out.add(g.allocate(RaidLevel.RAID5));
        }
        for (int i = 0; i < RAID1_STORES; i++) {
            out.add(g.allocate(RaidLevel.RAID1));
        }
        return out;
    }

    private static void writeSome(Random r, RStore s, SectorModel m, int writes) {
        for (int i = 0; i < writes; i++) {
            int sectors = 1 + r.nextInt(300);
            long first = r.nextInt((int) (RStore.SIZE_BYTES / 512) - sectors);
            s.write(first * 512, m.write(first, sectors));
        }
    }

    private static BitmapDescriptor.Image onDisk(Path dir, UUID pool) throws Exception {
        byte[] b = Files.readAllBytes(dir.resolve(BitmapDescriptor.fileName(0)));
        return BitmapDescriptor.decode(ByteBuffer.wrap(b), pool, 0);
    }

    private static Rebuild awaitResync(DiskGroupImpl g) throws InterruptedException {
        Rebuild rs = g.lastResync();
        assertNotNull(rs, "a resync ran after the unclean stop");
        assertTrue(rs.await(60, TimeUnit.SECONDS), "resync finished");
        assertNull(rs.failure());
        return rs;
    }

    @Test
    void shouldResyncOnlyTheMarkedRStoresAfterAPowerCutAndKeepEveryForcedWrite() throws Exception {
        long base = PowerCut.baseSeed("WriteIntentBitmapTest.marked");
        int n = PowerCut.iterations(4);
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            Path dir = tmp.resolve("it-" + it);
            PowerCut pc = new PowerCut(seed);
            Random r = pc.random();
            Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 96 << 20), new SimpleMeterRegistry(), pc.poolIo());
            UUID poolId = pool.id();
            DiskGroupImpl g = group(pool);
            List<RStore> stores = allocate(g);
            g.flush();
            List<SectorModel> models = new ArrayList<>();
            for (RStore s : stores) {
                SectorModel m = new SectorModel(RStore.SIZE_BYTES);
                writeSome(r, s, m, 3);
                models.add(m);
            }
            g.flush();
            models.forEach(SectorModel::forced);
            assertEquals(stores.size(), g.intent().marked(), "every written RStore is marked");
            g.intent().clearQuiet(); // the chunks were written during this interval: kept
            assertEquals(stores.size(), g.intent().marked());
            g.intent().clearQuiet(); // quiet for a whole interval and forced: cleared
            assertEquals(0, g.intent().marked(), "quiet chunks are cleared lazily");

            // the crash: writes to a few RStores, flushes now and then, power cut at a seeded I/O
            Set<Long> attempted = new HashSet<>();
            Set<Long> acknowledged = new HashSet<>();
            int ops = 40;
            int cutAt = r.nextInt(ops);
            int[] hot = r.ints(0, stores.size()).distinct().limit(2 + r.nextInt(4)).toArray();
            try {
                for (int op = 0; op < ops; op++) {
                    if (op == cutAt) {
                        pc.cutAfter(1 + r.nextInt(12));
                    }
                    if (r.nextInt(6) == 0) {
                        g.flush();
                        models.forEach(SectorModel::forced);
                    } else {
                        int k = hot[r.nextInt(hot.length)];
                        attempted.add(stores.get(k).rsdId());
                        writeSome(r, stores.get(k), models.get(k), 1);
                        acknowledged.add(stores.get(k).rsdId());
                    }
                }
                pc.cut();
            } catch (PowerCutError e) {
                System.out.println("[bitmap] seed " + seed + ": " + e.getMessage());
            }
            pc.cut();

            // what the bitmap says after the cut: marks only where a write was attempted, and on every
            // RStore with an acknowledged write (no clearing pass ran since)
            BitmapDescriptor.Image img;
            try {
                img = onDisk(dir, poolId);
            } catch (StorageException e) {
                img = null; // the cut tore the bitmap's own rewrite: a full resync follows
                System.out.println("[bitmap] seed " + seed + ": torn bitmap: " + e.getMessage());
            }
            int marked = 0;
            for (RStore s : stores) {
                if (img == null) {
                    continue;
                }
                if (img.isSet(s.rsdId())) {
                    marked++;
                    assertTrue(attempted.contains(s.rsdId()), "seed " + seed + ": RSD " + s.rsdId()
                            + " marked but never written since the bitmap was cleared");
                }
                if (acknowledged.contains(s.rsdId())) {
                    assertTrue(img.isSet(s.rsdId()), "seed " + seed + ": RSD " + s.rsdId() + " was written but is"
                            + " not marked");
                }
            }

            try (Pool p2 = Pools.open(dir, new SimpleMeterRegistry())) {
                DiskGroupImpl g2 = group(p2);
                Rebuild rs = awaitResync(g2);
                int expected = img == null ? stores.size() : marked;
                assertEquals((long) expected * RStoreImpl.ROWS, rs.total(), "seed " + seed + ": rows resynced");
                assertEquals(expected, g2.stats().resyncStores(), "seed " + seed + ": resynced RStores counted");
                for (int i = 0; i < stores.size(); i++) {
                    long id = stores.get(i).rsdId();
                    String what = "seed " + seed + " RSD " + id;
                    RaidPowerCutTest.check(models.get(i), g2.rstore(id), what);
                    // an unmarked RStore was not resynchronised: its members agree only if no write reached them
                    RaidTestSupport.checkRedundancy(g2, id);
                }
                assertFalse(g2.resyncPending());
            }
            // the clean stop left the bitmap empty
            assertEquals(0, onDisk(dir, poolId).population(), "seed " + seed + ": empty after a clean stop");
        }
    }

    /** A crash with every unforced write applied: what kill -9 leaves (page cache kept). */
    private Pool crashWithWrites(Path dir, int hotStores, List<RStore> storesOut) throws Exception {
        PowerCut pc = new PowerCut(7).outcome(PowerCut.Outcome.APPLY);
        Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 96 << 20), new SimpleMeterRegistry(), pc.poolIo());
        DiskGroupImpl g = group(pool);
        storesOut.addAll(allocate(g));
        g.flush(); // the allocations are durable (the cut applies unforced writes in any order)
        Random r = new Random(1);
        for (int i = 0; i < hotStores; i++) {
            writeSome(r, storesOut.get(i), new SectorModel(RStore.SIZE_BYTES), 2);
        }
        pc.cut();
        return pool;
    }

    @Test
    void shouldResyncEveryRStoreWhenTheBitmapIsTorn() throws Exception {
        List<RStore> stores = new ArrayList<>();
        Pool crashed = crashWithWrites(tmp, 2, stores);
        Path file = tmp.resolve(BitmapDescriptor.fileName(0));
        assertEquals(2, onDisk(tmp, crashed.id()).population());
        byte[] b = Files.readAllBytes(file);
        b[BitmapDescriptor.HEADER_BYTES + 100] ^= 0x10; // a sector of the rewrite that never reached the medium
        Files.write(file, b);
        try (Pool p2 = Pools.open(tmp, new SimpleMeterRegistry())) {
            Rebuild rs = awaitResync(group(p2));
            assertEquals((long) stores.size() * RStoreImpl.ROWS, rs.total(), "a torn bitmap means a full resync");
            assertTrue(group(p2).intent().problem().contains("CRC32C"), group(p2).intent().problem());
        }
    }

    @Test
    void shouldResyncEveryRStoreWhenTheBitmapIsMissing() throws Exception {
        List<RStore> stores = new ArrayList<>();
        crashWithWrites(tmp, 1, stores);
        Files.delete(tmp.resolve(BitmapDescriptor.fileName(0)));
        try (Pool p2 = Pools.open(tmp, new SimpleMeterRegistry())) {
            Rebuild rs = awaitResync(group(p2));
            assertEquals((long) stores.size() * RStoreImpl.ROWS, rs.total(), "no bitmap means a full resync");
        }
    }

    @Test
    void shouldKeepTheMarksOfACrashUntilTheResyncHasRunOverThem() throws Exception {
        List<RStore> stores = new ArrayList<>();
        Pool crashed = crashWithWrites(tmp, 3, stores);
        UUID id = crashed.id();
        try (Pool p2 = Pools.open(tmp, new SimpleMeterRegistry())) {
            DiskGroupImpl g = group(p2);
            Rebuild rs = awaitResync(g);
            assertEquals(3L * RStoreImpl.ROWS, rs.total(), "only the three written RStores");
            assertEquals(3, onDisk(tmp, id).population(), "marks survive the reopen");
            g.intent().clearQuiet();
            assertEquals(0, g.intent().marked(), "after the resync the quiet marks clear");
        }
    }

    @Test
    void shouldLeaveTheBitmapEmptyAfterACleanStopAndSkipTheResync() throws Exception {
        UUID id;
        try (Pool p = Pools.create(tmp, RaidTestSupport.uniform(6, 64 << 20), new SimpleMeterRegistry())) {
            id = p.id();
            RStore s = p.diskGroup(0).allocate(RaidLevel.RAID5);
            s.write(0, ByteBuffer.allocate(4096));
            assertTrue(group(p).intent().isMarked(s.rsdId()));
            assertEquals(1, onDisk(tmp, id).population(), "the bit is durable before the write");
        }
        assertEquals(0, onDisk(tmp, id).population());
        try (Pool p = Pools.open(tmp, new SimpleMeterRegistry())) {
            assertNull(group(p).lastResync(), "a clean stop needs no resync");
        }
    }

    @Test
    void shouldCostNoBitmapWriteForABitAlreadySetAndKeepBitsOfWritesInFlight() throws Exception {
        boolean[] forced = {true};
        Path f = tmp.resolve("b");
        UUID pool = new UUID(1, 2);
        try (WriteIntentBitmap w = WriteIntentBitmap.open(java.nio.channels.FileChannel::open, f, pool, 0, false,
                () -> forced[0])) {
            w.begin(9);
            long seq = read(f, pool).sequence();
            w.end(9);
            w.begin(9);
            assertEquals(seq, read(f, pool).sequence(), "a bit already set costs no rewrite");
            w.clearQuiet();
            w.clearQuiet();
            assertTrue(w.isMarked(9), "a write in flight keeps its bit");
            w.end(9);
            forced[0] = false;
            w.clearQuiet();
            assertTrue(w.isMarked(9), "not cleared while the drives cannot be forced");
            forced[0] = true;
            w.begin(9 + BitmapDescriptor.DEFAULT_BITS); // shares the bit: in flight again
            w.end(9 + BitmapDescriptor.DEFAULT_BITS);
            w.clearQuiet();
            assertTrue(w.isMarked(9), "written during the interval: kept");
            assertEquals(1, w.clearQuiet());
            assertFalse(w.isMarked(9));
            assertEquals(0, read(f, pool).population());
            assertTrue(read(f, pool).sequence() > seq);
        }
    }

    @Test
    void shouldNeverWriteOverTheImageOfAnInstanceOpenedLater() throws Exception {
        Path f = tmp.resolve("b");
        UUID pool = new UUID(1, 2);
        try (WriteIntentBitmap stale = WriteIntentBitmap.open(java.nio.channels.FileChannel::open, f, pool, 0, false,
                () -> true)) {
            stale.begin(3);
            stale.end(3);
            // a reopen (the stale instance abandoned, as after a crash inside one JVM) keeps bit 3 and adds bit 4
            try (WriteIntentBitmap fresh = WriteIntentBitmap.open(java.nio.channels.FileChannel::open, f, pool, 0, true,
                    () -> true)) {
                fresh.begin(4);
                StorageException e = org.junit.jupiter.api.Assertions.assertThrows(StorageException.class, () -> {
                    stale.clearQuiet();
                    stale.clearQuiet();
                });
                assertTrue(e.getMessage().contains("another instance owns it"), e.getMessage());
                assertTrue(read(f, pool).isSet(3) && read(f, pool).isSet(4), "the fresh instance's bits stay");
                fresh.end(4);
            }
        }
    }

    private static BitmapDescriptor.Image read(Path f, UUID pool) throws Exception {
        return BitmapDescriptor.decode(ByteBuffer.wrap(Files.readAllBytes(f)), pool, 0);
    }
}
