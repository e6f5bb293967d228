package io.evasan.raid;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.impl.FileDrive;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.evasan.raid.RaidTestSupport.MIB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Double failures, online rebuild under load, pull/re-add resync, drive add/remove. */
class DegradedTest {
    @TempDir
    Path dir;

    private static byte[] fill(RStore s, long seed) {
        byte[] m = new byte[(int) RStore.SIZE_BYTES];
        new Random(seed).nextBytes(m);
        s.write(0, ByteBuffer.wrap(m));
        return m;
    }

    @Test
    void shouldFailOnlyAffectedRangesWhenRaid5LosesTwoMembers() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            byte[] m = fill(s, 1);
            Rsd r = g.rsd(s.rsdId());
            int lostA = r.parityMember() == 0 ? 1 : 0;           // a data member
            int lostB = r.parityMember() == 4 ? 3 : 4;           // another member
            g.failDrive(r.drive(lostA));
            g.failDrive(r.drive(lostB));
            int unrecoverable = 0;
            for (long off = 0; off < RStore.SIZE_BYTES; off += 32 * 1024) {
                ByteBuffer b = ByteBuffer.allocate(32 * 1024);
                boolean affected = RaidTestSupport.touchesMember(r, off, 32 * 1024, lostA)
                        || RaidTestSupport.touchesMember(r, off, 32 * 1024, lostB);
                try {
                    s.read(off, b);
                    assertFalse(affected, "read of lost range at " + off + " returned data");
                    assertArrayEquals(Arrays.copyOfRange(m, (int) off, (int) off + 32 * 1024), b.array(), "at " + off);
                } catch (StorageException e) {
                    assertEquals(ErrorCode.UNRECOVERABLE_READ, e.code());
                    assertTrue(affected, "unaffected range at " + off + " failed: " + e.getMessage());
                    unrecoverable++;
                }
            }
            assertTrue(unrecoverable > 0);
            assertTrue(g.stats().unrecoverableReads() >= unrecoverable);
            // writes to a lost range fail; writes elsewhere work and read back
            long lostOff = -1;
            long okOff = -1;
            for (long off = 0; off < RStore.SIZE_BYTES; off += 64 * 1024) {
                boolean affected = RaidTestSupport.touchesMember(r, off, 4096, lostA)
                        || RaidTestSupport.touchesMember(r, off, 4096, lostB);
                if (affected && lostOff < 0) {
                    lostOff = off;
                } else if (!affected && okOff < 0) {
                    okOff = off;
                }
            }
            long lo = lostOff;
            StorageException e = assertThrows(StorageException.class, () -> s.write(lo, ByteBuffer.allocate(4096)));
            assertEquals(ErrorCode.WRITE_FAULT, e.code());
            byte[] w = new byte[4096];
            Arrays.fill(w, (byte) 7);
            s.write(okOff, ByteBuffer.wrap(w));
            ByteBuffer back = ByteBuffer.allocate(4096);
            s.read(okOff, back);
            assertArrayEquals(w, back.array());
            Rebuild rb = g.rebuild();
            assertTrue(awaitQuietly(rb));
            assertEquals(List.of(s.rsdId()), rb.unrecoverable());
        }
    }

    @Test
    void shouldFailReadsOfAMirroredPairOnlyWhenBothCopiesAreLost() {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID1);
            byte[] m = fill(s, 2);
            Rsd r = g.rsd(s.rsdId());
            g.failDrive(r.drive(2));
            g.pullDrive(r.drive(3)); // pair 1 entirely lost
            for (long off = 0; off < RStore.SIZE_BYTES; off += 64 * 1024) {
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                boolean affected = (off / (64 * 1024)) % 4 == 1;
                if (affected) {
                    long o = off;
                    StorageException e = assertThrows(StorageException.class, () -> s.read(o, b));
                    assertEquals(ErrorCode.UNRECOVERABLE_READ, e.code());
                } else {
                    s.read(off, b);
                    assertArrayEquals(Arrays.copyOfRange(m, (int) off, (int) off + b.capacity()), b.array());
                }
            }
        }
    }

    private static boolean awaitQuietly(Rebuild rb) {
        try {
            return rb.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Online rebuild: writers and readers keep running; afterwards data matches and redundancy holds. */
    @ParameterizedTest
    @EnumSource(value = RaidLevel.class, names = {"RAID1", "RAID5"})
    void shouldRebuildOnlineUnderConcurrentWrites(RaidLevel level) throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("online rebuild " + level + " seed=" + seed);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(12, 96 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            List<RStore> stores = new ArrayList<>();
            List<byte[]> models = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                RStore s = g.allocate(level);
                stores.add(s);
                models.add(fill(s, seed + i));
            }
            int victim = g.rsd(stores.get(0).rsdId()).drive(1);
            g.failDrive(victim);
            int threads = 4;
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs.add(ex.submit(() -> {
                    Random rnd = new Random(seed * 31 + tt);
                    // each thread owns the quarter [tt*2MiB, (tt+1)*2MiB) of every RStore
                    while (!stop.get()) {
                        int which = rnd.nextInt(stores.size());
                        int len = 512 * (1 + rnd.nextInt(256));
                        long off = tt * (2L << 20) + 512L * rnd.nextInt((int) ((2L << 20) - len) / 512);
                        if (rnd.nextInt(3) == 0) {
                            ByteBuffer b = ByteBuffer.allocate(len);
                            stores.get(which).read(off, b);
                            byte[] exp = Arrays.copyOfRange(models.get(which), (int) off, (int) off + len);
                            if (!Arrays.equals(exp, b.array())) {
                                throw new AssertionError("seed=" + seed + " concurrent read mismatch at " + off);
                            }
                        } else {
                            byte[] d = new byte[len];
                            rnd.nextBytes(d);
                            stores.get(which).write(off, ByteBuffer.wrap(d));
                            System.arraycopy(d, 0, models.get(which), (int) off, len);
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(100);
            Rebuild rb = g.rebuild();
            while (!rb.await(20, TimeUnit.MILLISECONDS)) {
                assertTrue(rb.done() <= rb.total());
            }
            assertFalse(g.rebuildInProgress(), "no rebuild running once the job is done");
            Thread.sleep(100);
            stop.set(true);
            for (Future<?> f : fs) {
                f.get();
            }
            ex.shutdown();
            assertEquals(List.of(), rb.unrecoverable(), "seed=" + seed);
            assertTrue(rb.membersRebuilt() > 0);
            for (int i = 0; i < stores.size(); i++) {
                assertEquals(-1, g.rsd(stores.get(i).rsdId()).memberOnDrive(victim));
                RaidTestSupport.assertSame(models.get(i), stores.get(i), "seed=" + seed + " RStore " + i);
                RaidTestSupport.checkRedundancy(g, stores.get(i).rsdId());
            }
            PlacementTest.checkInvariants(g, false);
        }
    }

    /** A real I/O error (the drive file is truncated under us) fails the drive; data is reconstructed. */
    @Test
    void shouldFailADriveOnIoErrorAndServeReconstructedData() throws Exception {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(8, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            byte[] m = fill(s, 21);
            Rsd r = g.rsd(s.rsdId());
            int victim = r.drive(r.parityMember() == 0 ? 1 : 0);
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    RaidTestSupport.info(g, victim).path(), java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(10 * MIB); // keeps label, quorum and PSEG table; cuts off every PSEG
            }
            RaidTestSupport.assertSame(m, s, "reads after the I/O error");
            assertEquals(DriveState.FAILED, RaidTestSupport.info(g, victim).state());
            assertTrue(g.stats().driveErrors() >= 1, "drive error counted");
            byte[] d = new byte[8192];
            new Random(22).nextBytes(d);
            s.write(0, ByteBuffer.wrap(d));
            System.arraycopy(d, 0, m, 0, d.length);
            Rebuild rb = g.rebuild();
            assertTrue(rb.await(30, TimeUnit.SECONDS));
            assertEquals(-1, g.rsd(s.rsdId()).memberOnDrive(victim));
            RaidTestSupport.assertSame(m, s, "after rebuild");
            RaidTestSupport.checkRedundancy(g, s.rsdId());
        }
        try (Pool pool = Pools.open(dir)) {
            assertTrue(pool.describe().contains("FAILED"), "a truncated drive opens as failed");
        }
    }

    /** Threads writing different 4 KiB blocks of the same stripes never leave parity wrong. */
    @ParameterizedTest
    @EnumSource(value = RaidLevel.class, names = {"RAID1", "RAID5"})
    void shouldKeepRedundancyUnderConcurrentWritesToOneStripe(RaidLevel level) throws Exception {
        long seed = RaidTestSupport.seed();
        System.out.println("same-stripe writers " + level + " seed=" + seed);
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(10, 48 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(level);
            byte[] model = new byte[(int) RStore.SIZE_BYTES];
            int threads = 4;
            ExecutorService ex = Executors.newFixedThreadPool(threads);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                fs.add(ex.submit(() -> {
                    Random rnd = new Random(seed + tt);
                    for (int i = 0; i < 1500; i++) {
                        // blocks of 4 KiB in the first 4 rows (1 MiB); thread tt owns blocks b with b % threads == tt
                        int block = rnd.nextInt(256 / threads) * threads + tt;
                        byte[] d = new byte[4096];
                        rnd.nextBytes(d);
                        s.write(block * 4096L, ByteBuffer.wrap(d));
                        System.arraycopy(d, 0, model, block * 4096, 4096);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            ex.shutdown();
            RaidTestSupport.assertSame(model, s, "seed=" + seed);
            RaidTestSupport.checkRedundancy(g, s.rsdId());
        }
    }

    /** A pulled drive misses writes; re-adding it resynchronises only the stale members in place. */
    @ParameterizedTest
    @EnumSource(value = RaidLevel.class, names = {"RAID1", "RAID5"})
    void shouldResyncStaleMembersWhenAPulledDriveIsReadded(RaidLevel level) throws Exception {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(10, 64 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            RStore written = g.allocate(level);
            RStore untouched = g.allocate(level);
            int victim = g.rsd(written.rsdId()).drive(0);
            byte[] m1 = fill(written, 11);
            byte[] m2 = fill(untouched, 12);
            g.pullDrive(victim);
            assertEquals(DriveState.MISSING, RaidTestSupport.info(g, victim).state());
            assertEquals(pool.quorumAreas().size(), 9);
            byte[] d = new byte[300 * 1024];
            new Random(13).nextBytes(d);
            written.write(1 << 20, ByteBuffer.wrap(d));
            System.arraycopy(d, 0, m1, 1 << 20, d.length);
            assertTrue(g.rsd(written.rsdId()).isStale(0));
            Rsd before = g.rsd(untouched.rsdId());
            Rebuild rb = g.restoreDrive(victim);
            assertTrue(rb.await(30, TimeUnit.SECONDS));
            assertEquals(victim, g.rsd(written.rsdId()).drive(0), "resynced in place");
            assertEquals(0, g.rsd(written.rsdId()).staleMask());
            assertEquals(before, g.rsd(untouched.rsdId()), "untouched RStore needed nothing");
            RaidTestSupport.assertSame(m1, written, "written");
            RaidTestSupport.assertSame(m2, untouched, "untouched");
            RaidTestSupport.checkRedundancy(g, written.rsdId());
            RaidTestSupport.checkRedundancy(g, untouched.rsdId());
        }
    }

    @Test
    void shouldMoveEveryMemberOffARemovedDriveAndAcceptANewOne() throws Exception {
        try (Pool pool = Pools.create(dir, RaidTestSupport.uniform(11, 64 * MIB))) {
            DiskGroup g = pool.diskGroup(0);
            List<RStore> stores = new ArrayList<>();
            List<byte[]> models = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                RStore s = g.allocate(RaidLevel.values()[i % 3]);
                stores.add(s);
                models.add(fill(s, 100 + i));
            }
            int victim = g.rsd(stores.get(0).rsdId()).drive(0);
            Path victimPath = RaidTestSupport.info(g, victim).path();
            g.removeDrive(victim);
            assertEquals(10, g.drives().size());
            for (int i = 0; i < stores.size(); i++) {
                assertEquals(-1, g.rsd(stores.get(i).rsdId()).memberOnDrive(victim));
                RaidTestSupport.assertSame(models.get(i), stores.get(i), "after removal");
                RaidTestSupport.checkRedundancy(g, stores.get(i).rsdId());
            }
            PlacementTest.checkInvariants(g, false);
            DriveLabel l = FileDrive.readLabel(victimPath);
            assertTrue(l.isRemoved(), "removed drive's label says so");
            int added = g.addDrive(DriveSpec.file("drives/new.img", 64 * MIB));
            assertEquals(11, g.drives().size());
            assertEquals(DriveState.AVAILABLE, RaidTestSupport.info(g, added).state());
            // a removed drive may be added back as a new member
            int back = g.addDrive(new DriveSpec(victimPath, 0));
            assertTrue(back > added);
        }
        try (Pool pool = Pools.open(dir)) {
            DiskGroup g = pool.diskGroup(0);
            assertEquals(12, g.drives().size());
            assertTrue(g.drives().stream().allMatch(x -> x.state() == DriveState.AVAILABLE), pool.describe());
            for (long id : g.rsdIds()) {
                RaidTestSupport.checkRedundancy(g, id);
            }
        }
    }
}
