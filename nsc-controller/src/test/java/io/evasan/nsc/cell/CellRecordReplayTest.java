package io.evasan.nsc.cell;

import io.evasan.error.StorageException;
import io.evasan.mapping.Mapping;
import io.evasan.mapping.MappingOptions;
import io.evasan.mapping.Mappings;
import io.evasan.nsc.Controller;
import io.evasan.nsc.ControllerConfig;
import io.evasan.nsc.api.BgCopyView;
import io.evasan.nsc.api.Cell;
import io.evasan.nsc.api.CellRecord;
import io.evasan.nsc.api.DiskGroupView;
import io.evasan.nsc.api.DriveFile;
import io.evasan.nsc.api.DriveView;
import io.evasan.nsc.api.RebuildView;
import io.evasan.nsc.cache.CacheConfig;
import io.evasan.nsc.cell.impl.StorageCell;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.Pools;
import io.evasan.raid.rstore.RaidLevel;
import io.evasan.sharing.SharingConfig;
import io.evasan.sharing.SharingStats;
import io.evasan.sharing.impl.SharingTreesImpl;
import io.evasan.sharing.spi.impl.MappingSegmentMaps;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * "Every state change is a record" (issue 12 item 2), measured: random commands through the cell API (LUNs,
 * presentations, snapshots and snapclones, rollbacks, named records, drives and disk groups, BGCOPY control,
 * snapshot backups — valid ones and refused ones) on a real stack (sparse pool, mapping, sharing trees,
 * controller); every record the cell log produces is encoded with {@link CellRecordDescriptor}, decoded, and
 * applied to a replica {@link CellState} installed from a capture at open. Every {@value #CHECK_EVERY}
 * operations, and after each reopen of the stack (the state must also be what the disks hold), the replica must
 * equal a capture of the live cell. Prints its seed ({@code -Devasan.replay.seed=} replays it) and, on a
 * mismatch, the operations since the last good check.
 */
class CellRecordReplayTest {
    private static final int OPS = Integer.getInteger("evasan.replay.ops", 10_000);
    private static final int PHASES = 2;
    private static final int CHECK_EVERY = 250;
    private static final List<String> KINDS = List.of("host", "schedule");
    private static final String[] INITIATORS = {"iqn.2026-01.test:h0", "iqn.2026-01.test:h1", "*"};
    private static final String[] POLICIES = {"SPACE_EFFICIENT", "RESERVE_FULL"};

    /** The launcher's opening sequence over a small sparse pool, with the cell over it. */
    private static final class Stack implements AutoCloseable {
        final Pool pool;
        final Mapping mapping;
        final SharingTreesImpl trees;
        final Controller ctl;
        final Cell cell;

        Stack(Path dir) {
            List<DriveSpec> drives = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                drives.add(DriveSpec.file(String.format("drives/d%02d.img", i), 128L << 20));
            }
            pool = Pools.openOrCreate(dir.resolve("pool"), new PoolSpec(List.of(new GroupSpec("dg0", drives))));
            mapping = Mappings.open(pool, dir.resolve("mapping"), MappingOptions.defaults());
            trees = new SharingTreesImpl(new MappingSegmentMaps(mapping, pool, pool.diskGroups().get(0).id(),
                    RaidLevel.RAID5, "nsc-"), SharingConfig.defaults().withBackground(false), SharingStats.standalone());
            ctl = Controller.open(new ControllerConfig(dir.resolve("nsc0")).poolIdentity("replay").lunCatalog(mapping.mld())
                    .cache(new CacheConfig().segmentSize(256 * 1024).segmentCount(16)), trees);
            cell = new StorageCell(pool, trees, ctl, mapping.mld());
        }

        @Override
        public void close() {
            ctl.close();
            trees.close();
            mapping.close();
            pool.close();
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 20, unit = TimeUnit.MINUTES)
    void shouldReachTheLiveStateByApplyingTheRecordsInOrder() throws Exception {
        long seed = Long.getLong("evasan.replay.seed", System.nanoTime());
        System.out.println("CellRecordReplayTest seed=" + seed + " ops=" + OPS + " (-Devasan.replay.seed=" + seed + ")");
        Random rnd = new Random(seed);
        // tmpfs when there is one: the test is about records, and an fsync there costs nothing
        Path base = Files.isDirectory(Paths.get("/dev/shm")) && Files.isWritable(Paths.get("/dev/shm"))
                ? Paths.get("/dev/shm") : Paths.get("target");
        Path dir = Files.createTempDirectory(base, "cell-replay");
        Map<CellRecord.Type, Integer> seen = new EnumMap<>(CellRecord.Type.class);
        int refused = 0;
        int addedDrives = 0;
        int groups = 0;
        Stack s = new Stack(dir);
        try {
            for (int phase = 0; phase < PHASES; phase++) {
                CellState replica = CellState.capture(s.cell, KINDS);   // install the snapshot, then follow the log
                List<byte[]> wire = new ArrayList<>();
                s.cell.log().subscribe(c -> wire.add(CellRecordDescriptor.encode(c)));
                List<String> recent = new ArrayList<>();
                for (int i = 0; i < OPS / PHASES; i++) {
                    String op;
                    try {
                        op = step(s, rnd, addedDrives, groups);
                        if (op.startsWith("addDrive")) {
                            addedDrives++;
                        } else if (op.startsWith("createDiskGroup")) {
                            groups++;
                        }
                    } catch (StorageException | IllegalArgumentException e) {
                        op = "refused: " + e.getMessage();
                        refused++;
                    }
                    recent.add(phase + "/" + i + " " + op);
                    for (byte[] b : wire) {
                        CellRecord.Committed c = CellRecordDescriptor.decode(b);
                        seen.merge(c.record().type(), 1, Integer::sum);
                        try {
                            replica.apply(c);
                        } catch (IllegalStateException e) {
                            fail("seed " + seed + ", step " + phase + "/" + i + ": " + e.getMessage() + "\nsteps:\n"
                                    + String.join("\n", recent));
                        }
                    }
                    wire.clear();
                    if (i % CHECK_EVERY == CHECK_EVERY - 1) {
                        check(s.cell, replica, seed, phase + "/" + i, recent);
                        recent.clear();
                    }
                }
                check(s.cell, replica, seed, "end of phase " + phase, recent);
                s.close();
                s = new Stack(dir);   // what the disks hold after a clean stop is what the records built
                replica.restarted();
                CellState reopened = CellState.capture(s.cell, KINDS);
                assertEquals(replica.describe(), reopened.describe(), "seed " + seed + ": state after reopen, phase " + phase
                        + diff(replica.describe(), reopened.describe()));
            }
        } finally {
            s.close();
            deleteTree(dir);
        }
        System.out.println("CellRecordReplayTest seed=" + seed + " records " + seen + ", refused commands " + refused);
        for (CellRecord.Type t : List.of(CellRecord.Type.LUN_CREATED, CellRecord.Type.LUN_DELETED, CellRecord.Type.LUN_RESIZED,
                CellRecord.Type.PRESENTED, CellRecord.Type.UNPRESENTED, CellRecord.Type.SNAPSHOT_TAKEN,
                CellRecord.Type.SNAPSHOT_DELETED, CellRecord.Type.RECORD_PUT, CellRecord.Type.RECORD_REMOVED,
                CellRecord.Type.SNAPCLONE_PROMOTED, CellRecord.Type.BGCOPY_PAUSED, CellRecord.Type.LUN_ROLLED_BACK)) {
            if (seen.getOrDefault(t, 0) == 0 && OPS >= 2000) {
                fail("seed " + seed + ": no " + t + " record in " + OPS + " operations; the test does not cover it");
            }
        }
    }

    private static void check(Cell cell, CellState replica, long seed, String where, List<String> recent)
            throws InterruptedException {
        String live = CellState.capture(cell, KINDS).describe();
        if (!live.equals(replica.describe())) {
            Thread.sleep(200);   // a promotion committing during the capture: take it once more
            live = CellState.capture(cell, KINDS).describe();
        }
        assertEquals(live, replica.describe(), "seed " + seed + " at " + where + diff(live, replica.describe())
                + "\nsteps since the last check:\n" + String.join("\n", recent));
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The lines only one side has. */
    private static String diff(String expected, String actual) {
        List<String> e = new ArrayList<>(List.of(expected.split("\n")));
        List<String> a = new ArrayList<>(List.of(actual.split("\n")));
        List<String> onlyE = new ArrayList<>(e);
        onlyE.removeAll(a);
        List<String> onlyA = new ArrayList<>(a);
        onlyA.removeAll(e);
        return "\n only in expected: " + onlyE + "\n only in actual: " + onlyA;
    }

    /** One random command; returns what it did. Refusals throw StorageException. */
    private static String step(Stack s, Random rnd, int addedDrives, int groups) throws Exception {
        Controller ctl = s.ctl;
        Cell cell = s.cell;
        List<LunRecord> luns = ctl.listLuns();
        List<SnapshotRecord> snaps = ctl.listSnapshots();
        // mostly names that exist (commands that do something), sometimes any name (commands refused)
        String lun = !luns.isEmpty() && rnd.nextInt(10) < 7 ? luns.get(rnd.nextInt(luns.size())).name() : "lun" + rnd.nextInt(8);
        String snap = !snaps.isEmpty() && rnd.nextInt(10) < 6 ? snaps.get(rnd.nextInt(snaps.size())).name() : "snap" + rnd.nextInt(10);
        int r = rnd.nextInt(100);
        if (r < 12) {
            long size = (1 + rnd.nextInt(8)) * (1L << 20) - (rnd.nextInt(4) == 0 ? 512 : 0);
            LunRecord l = cell.luns().createLun(lun, rnd.nextInt(20) == 0 ? 0 : size, null, rnd.nextInt(10) == 0 ? 7 : -1);
            return "createLun " + l;
        } else if (r < 17) {
            ctl.deleteLun(lun);
            return "deleteLun " + lun;
        } else if (r < 21) {
            long size = (1 + rnd.nextInt(10)) * (1L << 20);
            ctl.resizeLun(lun, size);
            return "resizeLun " + lun + " " + size;
        } else if (r < 31) {
            String ini = INITIATORS[rnd.nextInt(INITIATORS.length)];
            int hostLun = rnd.nextInt(6);
            ctl.presentLun(ini, hostLun, lun);
            return "presentLun " + ini + " " + hostLun + " " + lun;
        } else if (r < 37) {
            String ini = INITIATORS[rnd.nextInt(INITIATORS.length)];
            int hostLun = rnd.nextInt(6);
            return "unpresentLun " + ini + " " + hostLun + " -> " + ctl.unpresentLun(ini, hostLun);
        } else if (r < 49) {
            boolean clone = rnd.nextInt(3) == 0;
            String policy = POLICIES[rnd.nextInt(POLICIES.length)];
            var marker = cell.luns().snapshot(lun, snap, clone, policy, -1);
            try {
                marker.taken().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof StorageException se) {
                    throw se;
                }
                throw e;
            }
            return (clone ? "snapclone " : "snapshot ") + lun + " " + snap + " " + policy;
        } else if (r < 55) {
            ctl.deleteSnapshot(snap);
            return "deleteSnapshot " + snap;
        } else if (r < 60) {
            String ini = INITIATORS[rnd.nextInt(INITIATORS.length)];
            int hostLun = rnd.nextInt(6);
            if (rnd.nextBoolean()) {
                ctl.presentSnapshot(ini, hostLun, snap);
                return "presentSnapshot " + ini + " " + hostLun + " " + snap;
            }
            return "unpresentSnapshot " + ini + " " + hostLun + " " + snap + " -> " + ctl.unpresentSnapshot(ini, hostLun, snap);
        } else if (r < 63) {
            if (!snaps.isEmpty() && rnd.nextInt(4) > 0) {   // a snapshot of its own LUN, mostly
                SnapshotRecord x = snaps.get(rnd.nextInt(snaps.size()));
                LunRecord of = luns.stream().filter(l -> l.id() == x.lunId()).findFirst().orElse(null);
                if (of != null) {
                    lun = of.name();
                    snap = x.name();
                }
            }
            ctl.rollbackLun(lun, snap);
            return "rollbackLun " + lun + " " + snap;
        } else if (r < 71) {
            String kind = KINDS.get(rnd.nextInt(KINDS.size()));
            String key = "k" + rnd.nextInt(5);
            byte[] v = new byte[rnd.nextInt(48)];
            rnd.nextBytes(v);
            cell.records().put(kind, key, v);
            return "records.put " + kind + "/" + key + " " + v.length + " bytes";
        } else if (r < 75) {
            String kind = KINDS.get(rnd.nextInt(KINDS.size()));
            String key = "k" + rnd.nextInt(5);
            cell.records().remove(kind, key);
            return "records.remove " + kind + "/" + key;
        } else if (r < 84) {
            List<SnapshotRecord> clones = ctl.listSnapshots().stream().filter(SnapshotRecord::snapclone).toList();
            if (clones.isEmpty()) {
                return "no snapclone";
            }
            SnapshotRecord c = clones.get(rnd.nextInt(clones.size()));
            int k = rnd.nextInt(3);
            if (k == 0) {
                cell.jobs().pauseBgcopy(c.disk());
                return "pauseBgcopy " + c.name();
            } else if (k == 1) {
                cell.jobs().resumeBgcopy(c.disk());
                return "resumeBgcopy " + c.name();
            }
            BgCopyView b = cell.jobs().bgcopy(c.disk());
            int copied = b.state() == BgCopyView.State.PAUSED ? 0 : s.trees.bgcopyStep(c.disk(), 1 + rnd.nextInt(4));
            List<LunRecord> promoted = ctl.promoteDetachedSnapclones();
            return "bgcopyStep " + c.name() + " copied " + copied + " promoted " + promoted;
        } else if (r < 88) {
            return backup(ctl, rnd, lun);
        } else if (r < 90 && addedDrives < 3) {
            DriveView d = cell.drives().addDrive(0, new DriveFile("drives/x" + addedDrives + "-" + rnd.nextInt(1000) + ".img", 64L << 20));
            return "addDrive " + d.index();
        } else if (r < 91 && groups < 1) {
            List<DriveFile> files = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                files.add(new DriveFile("drives/g" + groups + "-" + i + ".img", 64L << 20));
            }
            DiskGroupView g = cell.drives().createDiskGroup("dg" + (1 + groups), files);
            return "createDiskGroup " + g.id();
        } else if (r < 93 && rnd.nextInt(4) == 0) {
            DiskGroupView g = cell.drives().diskGroups().get(0);
            DriveView d = g.drives().get(rnd.nextInt(g.drives().size()));
            if (!d.state().name().equals("AVAILABLE")) {
                return "no available drive";
            }
            cell.drives().failDrive(g.id(), d.index());
            RebuildView rb = cell.drives().restoreDrive(g.id(), d.index());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!cell.drives().rebuild(g.id()).map(RebuildView::finished).orElse(true)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("rebuild of drive " + d.index() + " did not finish in 60 s");
                }
                Thread.sleep(5);
            }
            return "failDrive+restoreDrive " + d.index() + " (" + rb.total() + " rows)";
        } else if (r < 94) {
            ctl.defineLogLun("log" + rnd.nextInt(2), (4 + rnd.nextInt(4)) * (1L << 20));
            return "defineLogLun";
        }
        return "idle";
    }

    private static String backup(Controller ctl, Random rnd, String lun) {
        if (rnd.nextBoolean()) {
            ctl.initiateBackup(lun);
            return "initiateBackup " + lun;
        }
        ctl.terminateBackup();
        return "terminateBackup";
    }
}
