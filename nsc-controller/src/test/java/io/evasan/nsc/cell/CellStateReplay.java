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


/**
 * What the record-replay tests share: the launcher's stack over a small sparse pool with the cell over it, and one
 * random command through the cell API (valid or refused) as {@link CellRecordReplayTest} and the replication tests
 * drive it.
 */
public final class CellStateReplay {
    private CellStateReplay() {
    }

    public static final List<String> KINDS = List.of("host", "schedule");
    private static final String[] INITIATORS = {"iqn.2026-01.test:h0", "iqn.2026-01.test:h1", "*"};
    private static final String[] POLICIES = {"SPACE_EFFICIENT", "RESERVE_FULL"};


    /** The launcher's opening sequence over a small sparse pool, with the cell over it. */
    public static final class Stack implements AutoCloseable {
        public final Pool pool;
        public final Mapping mapping;
        public final SharingTreesImpl trees;
        public final Controller ctl;
        public final Cell cell;

        public Stack(Path dir) {
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


    public static void deleteTree(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }


    /** The lines only one side has. */
    public static String diff(String expected, String actual) {
        List<String> e = new ArrayList<>(List.of(expected.split("\n")));
        List<String> a = new ArrayList<>(List.of(actual.split("\n")));
        List<String> onlyE = new ArrayList<>(e);
        onlyE.removeAll(a);
        List<String> onlyA = new ArrayList<>(a);
        onlyA.removeAll(e);
        return "\n only in expected: " + onlyE + "\n only in actual: " + onlyA;
    }


    /** One random command; returns what it did. Refusals throw StorageException. */
    public static String step(Stack s, Random rnd, int addedDrives, int groups) throws Exception {
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
            ctl.deleteLun(lun, true);
            return "deleteLun " + lun;
        } else if (r < 21) {
            long size = (1 + rnd.nextInt(10)) * (1L << 20);
            ctl.resizeLun(lun, size, true);
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
