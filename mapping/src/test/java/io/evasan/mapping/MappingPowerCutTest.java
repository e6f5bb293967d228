package io.evasan.mapping;

import io.evasan.mapping.impl.MappingImpl;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.powercut.PowerCut;
import io.evasan.raid.powercut.PowerCutError;
import io.evasan.raid.powercut.SectorModel;
import io.evasan.raid.rstore.RaidLevel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Power cuts under the mapping layer: drives ({@code PowerCutDrive}), the PLDMC map log and the
 * RAID5 journal ({@code PowerCutChannel}) all lose, tear or reorder what was not forced (seeded,
 * each seed printed). Claims: FUA / SYNCHRONIZE CACHE ({@link LogicalDisk#flush()}: data, then
 * the map log) make every write before it survive; the map reopens consistent (every other sector
 * holds a version written to it, zeros included, never another LUN's or stale data). With
 * {@code --metadata-fsync} (PLDMC forced per record) and without it (the appliance default);
 * checkpoints are forced often (small compaction threshold) so cuts land inside them too.
 */
class MappingPowerCutTest {
    static final long LUN_BYTES = 24L << 20;

    @TempDir
    Path tmp;

    private static PoolSpec spec() {
        List<DriveSpec> d = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            d.add(DriveSpec.file(String.format("drives/d%02d.img", i), 128L << 20));
        }
        return new PoolSpec(List.of(new GroupSpec("dg0", d)));
    }

    private static MappingOptions options(boolean fsync) {
        return MappingOptions.defaults().withFsync(fsync).withMinCompactBytes(16 << 10);
    }

    @ParameterizedTest(name = "metadata fsync {0}")
    @ValueSource(booleans = {false, true})
    void shouldKeepEveryWriteBeforeAFlushAcrossPowerCuts(boolean fsync) throws Exception {
        long base = PowerCut.baseSeed("MappingPowerCutTest.fsync=" + fsync);
        int n = PowerCut.iterations(4);
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            Path dir = tmp.resolve(fsync + "-" + it);
            PowerCut pc = new PowerCut(seed);
            Random r = pc.random();
            RaidLevel level = RaidLevel.values()[r.nextInt(RaidLevel.values().length)];
            SectorModel m = new SectorModel(LUN_BYTES);
            Pool pool = Pools.create(dir.resolve("pool"), spec(), new SimpleMeterRegistry(), pc.poolIo());
            int ops = 60;
            int cutAt = r.nextInt(ops);
            try {
                Mapping map = MappingImpl.open(pool, dir.resolve("state"), options(fsync), pc.files());
                LogicalDisk ld = map.create("lun0", LUN_BYTES, level);
                ld.flush();
                for (int op = 0; op < ops; op++) {
                    if (op == cutAt) {
                        pc.cutAfter(1 + r.nextInt(30));
                    }
                    if (r.nextInt(6) == 0) {
                        ld.flush();
                        m.forced();
                    } else {
                        int sectors = 1 + r.nextInt(256);
                        // clustered in a few segments so that both new allocations and overwrites happen
                        long first = r.nextInt((int) (LUN_BYTES / 512) - sectors);
                        ld.write(first * 512, m.write(first, sectors));
                    }
                }
            } catch (PowerCutError e) {
                System.out.println("[powercut]   " + e.getMessage());
            }
            pc.cut();
            for (String line : pc.report()) {
                if (!line.startsWith("0 ")) {
                    System.out.println("[powercut]   " + line);
                }
            }
            String what = "seed " + seed + " " + level + " metadata fsync " + fsync;
            try (Pool p2 = Pools.open(dir.resolve("pool"), new SimpleMeterRegistry())) {
                Mapping map;
                try {
                    map = MappingImpl.open(p2, dir.resolve("state"), options(fsync));
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": the mapping does not reopen after a power cut: " + e, e);
                }
                LogicalDisk ld;
                try {
                    ld = map.disk("lun0");
                } catch (RuntimeException e) {
                    // the LUN's creation was forced (MLD commit + flush) before the workload
                    throw new AssertionError(what + ": lun0 lost: " + e, e);
                }
                byte[] got = new byte[(int) LUN_BYTES];
                ld.read(0, ByteBuffer.wrap(got));
                String bad = m.check(got);
                if (bad != null) {
                    fail(what + ": " + bad);
                }
                map.close();
            }
        }
    }

    /**
     * Snapshot creation (catalogue commit in the MLD, then the pointer copy in the PLDMC log) cut
     * at a random I/O: after reopen the snapshot is absent or complete (every sector equal to the
     * forced source), present if createSnapshotDisk returned, and the source is intact.
     */
    @ParameterizedTest(name = "metadata fsync {0}")
    @ValueSource(booleans = {false, true})
    void shouldCreateSnapshotsAtomicallyAcrossPowerCuts(boolean fsync) throws Exception {
        long base = PowerCut.baseSeed("MappingPowerCutTest.snapshot.fsync=" + fsync);
        int n = PowerCut.iterations(4);
        for (int it = 0; it < n; it++) {
            long seed = base + it;
            Path dir = tmp.resolve("snap-" + fsync + "-" + it);
            PowerCut pc = new PowerCut(seed);
            Random r = pc.random();
            SectorModel m = new SectorModel(LUN_BYTES);
            Pool pool = Pools.create(dir.resolve("pool"), spec(), new SimpleMeterRegistry(), pc.poolIo());
            boolean created = false;
            int cutAt = 1 + r.nextInt(10); // a snapshot of a few segments takes a handful of I/Os
            try {
                Mapping map = MappingImpl.open(pool, dir.resolve("state"), options(fsync), pc.files());
                LogicalDisk ld = map.create("lun0", LUN_BYTES, RaidLevel.RAID5);
                for (int op = 0; op < 12; op++) {
                    int sectors = 1 + r.nextInt(512);
                    long first = r.nextInt((int) (LUN_BYTES / 512) - sectors);
                    ld.write(first * 512, m.write(first, sectors));
                }
                ld.flush();
                m.forced();
                pc.cutAfter(cutAt);
                map.createSnapshotDisk("lun0", "snap", io.evasan.mapping.lmap.LmapEntry.SP,
                        io.evasan.mapping.lmap.LmapEntry.SS);
                created = true;
                pc.cut();
            } catch (PowerCutError e) {
                System.out.println("[powercut]   " + e.getMessage());
            }
            pc.cut();
            String what = "seed " + seed + " metadata fsync " + fsync + " cut at I/O " + cutAt + " of the snapshot"
                    + (created ? " (after it returned)" : "");
            try (Pool p2 = Pools.open(dir.resolve("pool"), new SimpleMeterRegistry())) {
                Mapping map;
                try {
                    map = MappingImpl.open(p2, dir.resolve("state"), options(fsync));
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": the mapping does not reopen: " + e, e);
                }
                byte[] got = new byte[(int) LUN_BYTES];
                map.disk("lun0").read(0, ByteBuffer.wrap(got));
                String bad = m.check(got);
                if (bad != null) {
                    fail(what + ": source " + bad);
                }
                boolean present = map.list().stream().anyMatch(i -> i.name().equals("snap"));
                if (created && !present) {
                    fail(what + ": the snapshot was created (call returned) but is gone");
                }
                if (present) {
                    map.disk("snap").read(0, ByteBuffer.wrap(got));
                    bad = m.check(got);
                    if (bad != null) {
                        fail(what + ": snapshot " + bad);
                    }
                }
                System.out.println("[powercut]   " + what + ": snapshot " + (present ? "present and complete" : "absent"));
                map.close();
            }
        }
    }
}
