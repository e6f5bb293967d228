package io.evasan.raid;

import io.evasan.raid.journal.impl.RowJournal;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.evasan.raid.powercut.SectorModel;
import io.evasan.raid.rsd.Rsd;
import io.evasan.raid.rstore.RStore;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Power cuts at seeded random points under the RAID layer ({@link PowerCut}: unforced drive and
 * journal writes dropped, torn at a sector boundary or reordered). Claims:
 * <ul>
 * <li>FUA / SYNCHRONIZE CACHE at the RAID level: data written and then forced by
 *     {@link DiskGroup#flush()} survives; every other sector holds a version written to it.</li>
 * <li>RAID5 degraded row writes (write-ahead journal): after reopen, journal replay and resync,
 *     then a rebuild, no forced sector changes, including those of the lost member.</li>
 * </ul>
 * Each iteration prints its seed; {@code -Devasan.powercut.iterations=N -Devasan.seed=S} for more.
 */
class RaidPowerCutTest {
    @TempDir
    Path tmp;

    @AfterEach
    void clearProperty() {
        System.clearProperty(RowJournal.FSYNC_PROPERTY);
    }

    /** Random writes of 1..64 sectors, a flush every few writes; the cut armed at a random I/O. */
    private static void workload(PowerCut pc, DiskGroup g, RStore s, SectorModel m, int ops) {
        workload(pc, g, s, m, ops, true, (int) (RStore.SIZE_BYTES / 512));
    }

    /** As above, the writes confined to the first {@code span} sectors (to make them overlap). */
    private static void workload(PowerCut pc, DiskGroup g, RStore s, SectorModel m, int ops, boolean cut, int span) {
        Random r = pc.random();
        int cutAt = cut ? r.nextInt(ops) : -1;
        try {
            for (int op = 0; op < ops; op++) {
                if (op == cutAt) {
                    pc.cutAfter(1 + r.nextInt(12)); // inside this op or one of the next
                }
                if (r.nextInt(5) == 0) {
                    g.flush();
                    m.forced();
                } else {
                    int sectors = 1 + r.nextInt(64);
                    long first = r.nextInt(span - sectors);
                    s.write(first * 512, m.write(first, sectors));
                }
            }
        } catch (PowerCutError e) {
            System.out.println("[powercut]   " + e.getMessage());
        }
        if (!cut) {
            return;
        }
        pc.cut();
        for (String line : pc.report()) {
            if (!line.startsWith("0 ")) {
                System.out.println("[powercut]   " + line);
            }
        }
    }

    /** Fails unless every sector of {@code s} is one {@code m} allows after a cut. */
    static void check(SectorModel m, RStore s, String what) {
        byte[] got = new byte[(int) RStore.SIZE_BYTES];
        s.read(0, ByteBuffer.wrap(got));
        String bad = m.check(got);
        if (bad != null) {
            fail(what + ": " + bad);
        }
    }

    private static void awaitResync(DiskGroup g) throws InterruptedException {
        for (int i = 0; i < 600 && g.resyncInProgress(); i++) {
            Thread.sleep(50);
        }
        assertFalse(g.resyncInProgress(), "resync finished");
    }

    @ParameterizedTest
    @EnumSource(RaidLevel.class)
    void shouldKeepForcedDataAcrossPowerCuts(RaidLevel level) throws Exception {
        long base = PowerCut.baseSeed("RaidPowerCutTest.forced." + level);
        int n = PowerCut.iterations(4);
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            Path dir = tmp.resolve(level + "-" + it);
            PowerCut pc = new PowerCut(seed);
            Pool pool = Pools.create(dir, RaidTestSupport.uniform(level == RaidLevel.RAID1 ? 8 : 6, 64 << 20),
                    new SimpleMeterRegistry(), pc.poolIo());
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(level);
            long id = s.rsdId();
            g.flush(); // the allocation is durable
            SectorModel m = new SectorModel(RStore.SIZE_BYTES);
            workload(pc, g, s, m, 60);
            // power back on: the pool object is dead, reopen over the surviving files
            try (Pool p2 = Pools.open(dir, new SimpleMeterRegistry())) {
                DiskGroup g2 = p2.diskGroup(0);
                String what = level + " seed " + seed;
                check(m, g2.rstore(id), what + " after reopen");
                awaitResync(g2);
                check(m, g2.rstore(id), what + " after resync");
                RaidTestSupport.checkRedundancy(g2, id);
            }
        }
    }

    /**
     * The opt-out journal mode {@code -Devasan.raid.journal.fsync=false} (records forced at
     * DiskGroup.flush only; the default fsyncs every record). KNOWN HOLE, found by this
     * test: an unforced degraded row write whose in-place writes reach the drives while its
     * journal record does not (nothing orders them) leaves the row's parity inconsistent, and the
     * lost member's sectors of that row, forced long before, reconstruct to garbage. Only a
     * per-record fsync closes it ({@code -Devasan.raid.journal.fsync=true}, next test).
     */
    @Test
    @org.junit.jupiter.api.Disabled("known power-cut write hole of the opt-out journal mode -Devasan.raid.journal.fsync=false;"
            + " see docs/ARCHITECTURE.md section 8; run with -Devasan.raid.journal.fsync=true semantics in the next test")
    void shouldKeepForcedSectorsOfADegradedRaid5StoreAcrossPowerCuts() throws Exception {
        degraded(false);
    }

    /** The default journal mode (fsync per record): power-loss safe. */
    @Test
    void shouldKeepForcedSectorsOfADegradedRaid5StoreAcrossPowerCutsWithJournalFsync() throws Exception {
        degraded(true);
    }

    /**
     * Journal fsync mode, degraded writes, then a rebuild onto the spare, then ordinary (not
     * journaled) writes and flushes to the same rows with the cut: a journal record whose
     * retirement is not yet durable must never be replayed over later forced data.
     */
    @Test
    void shouldNotReplayARetiredRecordOverLaterForcedWritesAfterARebuild() throws Exception {
        degraded(true, true);
    }

    /**
     * The seed that found the rebuild commit's RSD left unforced: the cut, before any flush after
     * the rebuild, reopened the old layout with the rebuilt member lost, and a torn unjournaled
     * write made that member's forced sectors reconstruct to garbage (80 sectors). Pinned; the
     * scenario depends on the I/O count up to the cut, so it may drift with the code.
     */
    @Test
    void shouldKeepTheRebuiltLayoutWhenThePowerFailsBeforeTheNextFlush() throws Exception {
        degraded(true, true, -7404771214369154075L, 1);
    }

    private void degraded(boolean fsync) throws Exception {
        degraded(fsync, false);
    }

    private void degraded(boolean fsync, boolean rebuildMidway) throws Exception {
        long base = PowerCut.baseSeed("RaidPowerCutTest.degraded.fsync=" + fsync + (rebuildMidway ? ".rebuilt" : ""));
        degraded(fsync, rebuildMidway, base, PowerCut.iterations(6));
    }

    private void degraded(boolean fsync, boolean rebuildMidway, long base, int n) throws Exception {
        System.setProperty(RowJournal.FSYNC_PROPERTY, Boolean.toString(fsync));
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            Path dir = tmp.resolve("deg-" + fsync + "-" + rebuildMidway + "-" + it);
            PowerCut pc = new PowerCut(seed);
            Pool pool = Pools.create(dir, RaidTestSupport.uniform(6, 64 << 20), new SimpleMeterRegistry(), pc.poolIo());
            DiskGroup g = pool.diskGroup(0);
            RStore s = g.allocate(RaidLevel.RAID5);
            long id = s.rsdId();
            SectorModel m = new SectorModel(RStore.SIZE_BYTES);
            // fill the whole store, force: every sector of the soon lost member now matters
            s.write(0, m.write(0, (int) (RStore.SIZE_BYTES / 512)));
            g.flush();
            m.forced();
            Rsd r = g.rsd(id);
            int lostSlot = 1 < r.parityMember() ? 1 : 2;
            int lost = r.drive(lostSlot);
            g.failDrive(lost);
            if (rebuildMidway) {
                int span = 4 * 128; // one row (four 64 KiB units): the later writes overlap the journaled ones
                workload(pc, g, s, m, 30, false, span);
                g.rebuild().await();
                if (pc.random().nextBoolean()) {
                    // the window inside DiskGroup.flush between the drives' and the journal's force
                    pc.cutAtMatching("force of " + dir.resolve("group-0.journal"), 1 + pc.random().nextInt(4));
                    workload(pc, g, s, m, 40, false, span);
                    if (!pc.isCut()) {
                        System.out.println("[powercut]   the journal force was not reached, cutting now");
                        pc.cut();
                    }
                } else {
                    workload(pc, g, s, m, 40, true, span);
                }
            } else {
                workload(pc, g, s, m, 40);
            }
            // the lost drive never comes back
            Files.delete(dir.resolve(String.format("drives/d%02d.img", lost)));
            try (Pool p2 = Pools.open(dir, new SimpleMeterRegistry())) {
                DiskGroup g2 = p2.diskGroup(0);
                String what = "degraded RAID5 (journal fsync " + fsync + (rebuildMidway ? ", rebuilt midway" : "") + ") seed " + seed + " lost drive " + lost;
                check(m, g2.rstore(id), what + " after reopen + journal replay");
                awaitResync(g2);
                check(m, g2.rstore(id), what + " after resync");
                Rebuild rb = g2.rebuild();
                rb.await();
                check(m, g2.rstore(id), what + " after rebuild");
                RaidTestSupport.checkRedundancy(g2, id);
            }
        }
    }
}
