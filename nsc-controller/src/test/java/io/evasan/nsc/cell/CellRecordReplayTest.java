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
        CellStateReplay.Stack s = new CellStateReplay.Stack(dir);
        try {
            for (int phase = 0; phase < PHASES; phase++) {
                CellState replica = CellState.capture(s.cell, CellStateReplay.KINDS);   // install the snapshot, then follow the log
                List<byte[]> wire = new ArrayList<>();
                s.cell.log().subscribe(c -> wire.add(CellRecordDescriptor.encode(c)));
                List<String> recent = new ArrayList<>();
                for (int i = 0; i < OPS / PHASES; i++) {
                    String op;
                    try {
                        op = CellStateReplay.step(s, rnd, addedDrives, groups);
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
                s = new CellStateReplay.Stack(dir);   // what the disks hold after a clean stop is what the records built
                replica.restarted();
                CellState reopened = CellState.capture(s.cell, CellStateReplay.KINDS);
                assertEquals(replica.describe(), reopened.describe(), "seed " + seed + ": state after reopen, phase " + phase
                        + CellStateReplay.diff(replica.describe(), reopened.describe()));
            }
        } finally {
            s.close();
            CellStateReplay.deleteTree(dir);
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
        String live = CellState.capture(cell, CellStateReplay.KINDS).describe();
        if (!live.equals(replica.describe())) {
            Thread.sleep(200);   // a promotion committing during the capture: take it once more
            live = CellState.capture(cell, CellStateReplay.KINDS).describe();
        }
        assertEquals(live, replica.describe(), "seed " + seed + " at " + where + CellStateReplay.diff(live, replica.describe())
                + "\nsteps since the last check:\n" + String.join("\n", recent));
    }
}
