package io.evasan.nsc;

import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.ScsiTask;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.evasan.nsc.Nsc.read10;
import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 finding 3 over the real stack (pool of two disk groups -> mapping -> RAID5 trees ->
 * Controller -> SCSI target with 4 workers): a LUN whose destage cannot complete never freezes a
 * LUN of the other group, and a LUN whose RAID5 RStore lost two members ends in a defined state.
 */
class DestageFailureTest {
    static final int MIB = 1 << 20;
    static final int WORKERS = 4;

    /** Two disk groups of eight 64 MiB drives; LUN "a" in group 0 presented as 0, "b" in group 1 as 1. */
    static final class TwoGroups implements AutoCloseable {
        final Pool pool;
        final Mapping mapping;
        final Nsc nsc;

        TwoGroups(Path dir, int maxAttempts) {
            List<GroupSpec> gs = new ArrayList<>();
            for (int g = 0; g < 2; g++) {
                List<DriveSpec> drives = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    drives.add(DriveSpec.file(String.format("drives/g%d-d%02d.img", g, i), 64L << 20));
                }
                gs.add(new GroupSpec("dg" + g, drives));
            }
            pool = Pools.openOrCreate(dir.resolve("pool"), new PoolSpec(gs));
            mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults().withFsync(false));
            SharingTreesImpl trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool,
                    pool.diskGroups().get(0).id(), RaidLevel.RAID5, "nsc-"),
                    SharingConfig.defaults().withBackground(false), SharingStats.standalone());
            nsc = new Nsc("destage-failure", trees, c -> c.targetWorkers(WORKERS)
                    .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(64)
                            .retryBackoffMillis(5).maxRetryBackoffMillis(50).maxDestageAttempts(4)));
            nsc.ctl.createLun("a", 16L * MIB, RaidLevel.RAID5, pool.diskGroups().get(0).id());
            nsc.ctl.createLun("b", 16L * MIB, RaidLevel.RAID5, pool.diskGroups().get(1).id());
            nsc.ctl.presentLun(Nsc.HOST, 0, "a");
            nsc.ctl.presentLun(Nsc.HOST, 1, "b");
        }

        @Override
        public void close() {
            try {
                nsc.close();
            } finally {
                mapping.close();
                pool.close();
            }
        }
    }

    private static Nsc.Result await(CompletableFuture<ScsiTask> f, String what) {
        try {
            return Nsc.result(f.get(20, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError(what + " did not answer within 20 s: " + e, e);
        }
    }

    @Test
    void shouldServeOtherLunsWhileSyncsOfAStuckLunWait(@TempDir Path dir) throws Exception {
        try (TwoGroups s = new TwoGroups(dir, 4)) {
            Nsc n = s.nsc;
            ItNexus x = n.nexus(Nsc.HOST);
            assertEquals(ScsiStatus.GOOD, n.runNoUa(x, 1, Nsc.tur(), null, 0).status);   // LUN b's power-on UA
            byte[] b = Nsc.pattern(64 * 512, 7);
            assertTrue(n.runNoUa(x, 1, write10(0, 64, true), b, b.length).good());
            n.ctl.cache().pauseDestage();   // LUN a's destage is stuck from here on
            byte[] a = Nsc.pattern(64 * 512, 8);
            assertTrue(n.runNoUa(x, 0, write10(0, 64, false), a, a.length).good());
            List<CompletableFuture<ScsiTask>> syncs = new ArrayList<>();
            for (int i = 0; i < 2 * WORKERS; i++) {
                syncs.add(n.submit(x, 0, Nsc.syncCache10(), null, 0));
            }
            List<CompletableFuture<ScsiTask>> fuas = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                fuas.add(n.submit(x, 0, write10(1000 + i * 8, 8, true), a, 8 * 512));
            }
            Thread.sleep(100);
            for (CompletableFuture<ScsiTask> f : syncs) {
                assertTrue(!f.isDone(), "SYNCHRONIZE CACHE waits for LUN a's destage");
            }
            // every worker would be parked in LUN a's waits: LUN b (other disk group) must still answer
            for (int i = 0; i < 3; i++) {
                assertEquals(ScsiStatus.GOOD, await(n.submit(x, 1, Nsc.tur(), null, 0), "TUR on LUN b").status);
                Nsc.Result r = await(n.submit(x, 1, read10(0, 64), null, b.length), "READ on LUN b");
                assertArrayEquals(b, r.data, "LUN b serves reads");
                Nsc.Result w = await(n.submit(x, 1, write10(200, 64, false), b, b.length), "WRITE on LUN b");
                assertEquals(ScsiStatus.GOOD, w.status, w.toString());
            }
            n.ctl.cache().resumeDestage();
            for (CompletableFuture<ScsiTask> f : syncs) {
                assertEquals(ScsiStatus.GOOD, await(f, "SYNC on LUN a").status);
            }
            for (CompletableFuture<ScsiTask> f : fuas) {
                assertEquals(ScsiStatus.GOOD, await(f, "FUA on LUN a").status);
            }
            assertArrayEquals(a, n.runNoUa(x, 0, read10(0, 64), null, a.length).data);
        }
    }

    @Test
    void shouldEndInALostStateWhenTheRaid5StoreLosesTwoDrives(@TempDir Path dir) throws Exception {
        try (TwoGroups s = new TwoGroups(dir, 4)) {
            Nsc n = s.nsc;
            ItNexus x = n.nexus(Nsc.HOST);
            assertEquals(ScsiStatus.GOOD, n.runNoUa(x, 1, Nsc.tur(), null, 0).status);   // LUN b's power-on UA
            byte[] old = Nsc.pattern(256 * 512, 1);
            assertTrue(n.runNoUa(x, 0, write10(0, 256, true), old, old.length).good());
            byte[] b = Nsc.pattern(64 * 512, 2);
            assertTrue(n.runNoUa(x, 1, write10(0, 64, true), b, b.length).good());
            n.ctl.cache().pauseDestage();
            byte[] fresh = Nsc.pattern(64 * 512, 3);
            assertTrue(n.runNoUa(x, 0, write10(64, 64, false), fresh, fresh.length).good(), "acknowledged in the cache");
            s.pool.diskGroups().get(0).failDrive(0);
            s.pool.diskGroups().get(0).failDrive(1);
            List<CompletableFuture<ScsiTask>> syncs = new ArrayList<>();
            for (int i = 0; i < 2 * WORKERS; i++) {
                syncs.add(n.submit(x, 0, Nsc.syncCache10(), null, 0));
            }
            n.ctl.cache().resumeDestage();
            // LUN b in the other group answers throughout, FUA and SYNCHRONIZE CACHE included
            for (int i = 0; i < 3; i++) {
                assertEquals(ScsiStatus.GOOD, await(n.submit(x, 1, Nsc.tur(), null, 0), "TUR on LUN b").status);
                assertArrayEquals(b, await(n.submit(x, 1, read10(0, 64), null, b.length), "READ on LUN b").data);
                Nsc.Result w = await(n.submit(x, 1, write10(64 + i * 64, 64, true), b, b.length), "FUA WRITE on LUN b");
                assertEquals(ScsiStatus.GOOD, w.status, w.toString());
                assertEquals(ScsiStatus.GOOD, await(n.submit(x, 1, Nsc.syncCache10(), null, 0), "SYNC on LUN b").status);
            }
            // bounded: every SYNCHRONIZE CACHE of LUN a answers, and the loss is reported (03/03/00) to it
            int faults = 0;
            for (CompletableFuture<ScsiTask> f : syncs) {
                Nsc.Result r = await(f, "SYNC on LUN a");
                assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
                assertEquals(SenseCodes.WRITE_FAULT, r.sense, r.toString());
                faults++;
            }
            assertEquals(2 * WORKERS, faults);
            // the cache let go of the lost write (it does not pin the cache)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (n.ctl.cache().dirtyBytes() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, n.ctl.cache().dirtyBytes(), "nothing pinned in the cache");
            assertTrue(n.ctl.cache().stats().destageErrors() <= 4 + 1, "bounded attempts: "
                    + n.ctl.cache().stats().destageErrors());
            // reads of the lost range: UNRECOVERED READ ERROR, never the older data
            Nsc.Result r = n.runNoUa(x, 0, read10(64, 64), null, fresh.length);
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
            assertEquals(SenseCodes.UNRECOVERED_READ_ERROR, r.sense, r.toString());
            Nsc.Result r2 = n.runNoUa(x, 0, read10(100, 1), null, 512);
            assertEquals(SenseCodes.UNRECOVERED_READ_ERROR, r2.sense, r2.toString());
            // the loss was reported once; LUN b still fine
            assertEquals(ScsiStatus.GOOD, n.runNoUa(x, 1, Nsc.syncCache10(), null, 0).status);
            assertArrayEquals(b, n.runNoUa(x, 1, read10(0, 64), null, b.length).data);
        }
    }
}
