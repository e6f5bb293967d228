package io.evasan.raid;

import io.evasan.raid.drive.DriveInfo;
import io.evasan.raid.rstore.RStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The degraded RAID5 write hole, deterministically: a child JVM halts between the data-member
 * write and the parity write of a RAID5 row write while a data member is lost; the lost drive
 * then stays gone. After reopen every sector of the RStore must hold the old data, except the
 * sectors of the write in flight, which the write journal replays: they hold the new data.
 * Without the journal the lost member (P xor the others) reconstructs to garbage, including
 * sectors nobody wrote.
 */
class WriteHoleTest {
    @TempDir
    Path dir;

    /** Runs the child until the crash hook halts it; returns {rsdId, lostDrive, offset, length}. */
    static long[] crash(Path dir, String mode) throws Exception {
        long[] out = new long[4];
        boolean[] done = {false};
        int exit;
        try (ChildJvm child = ChildJvm.of(WriteHoleChild.class).heap("128m")
                .jvmArgs("-Devasan.raid.test.haltAfterDegradedMemberWrites=1").args(dir.toString(), mode).start()) {
            child.follow(line -> {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "RSD" -> out[0] = Long.parseLong(f[1]);
                    case "LOST" -> out[1] = Long.parseLong(f[1]);
                    case "BEGIN" -> {
                        out[2] = Long.parseLong(f[1]);
                        out[3] = Long.parseLong(f[2]);
                    }
                    case "DONE" -> done[0] = true;
                    default -> { }
                }
            });
            exit = child.waitFor(60);
        }
        assertEquals(137, exit, "the crash hook halted the child");
        assertTrue(!done[0] && out[3] > 0, "child halted inside the degraded write");
        return out;
    }

    /** The lost drive never comes back: its file is deleted. */
    static void loseDrive(Path dir, long drive) throws Exception {
        Files.delete(dir.resolve(String.format("drives/d%02d.img", drive)));
    }

    /** Every sector holds the old fill, except [off, off+len) which holds the new data. */
    static void checkContents(DiskGroup g, long[] c, String what) {
        long id = c[0];
        byte[] exp = KillChild.data(id, 0, (int) RStore.SIZE_BYTES);
        byte[] neu = KillChild.data(WriteHoleChild.NEW_SEED, c[2], (int) c[3]);
        System.arraycopy(neu, 0, exp, (int) c[2], neu.length);
        byte[] got = new byte[(int) RStore.SIZE_BYTES];
        RaidTestSupport.readAll(g.rstore(id), got);
        for (int sec = 0; sec < got.length / 512; sec++) {
            int o = sec * 512;
            if (!Arrays.equals(got, o, o + 512, exp, o, o + 512)) {
                boolean inFlight = o >= c[2] && o < c[2] + c[3];
                throw new AssertionError(what + ": RSD " + id + " sector " + sec + " (byte " + o + ", "
                        + (inFlight ? "inside" : "outside") + " the write in flight " + c[2] + "+" + c[3]
                        + ") holds neither the old data nor the journaled write");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rmw", "rcw"})
    void shouldKeepUntouchedSectorsOfTheLostMemberWhenKilledBetweenDataAndParity(String mode) throws Exception {
        long[] c = crash(dir, mode);
        loseDrive(dir, c[1]);
        try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
            DiskGroup g = pool.diskGroup(0);
            assertTrue(g.rsd(c[0]).members() == 5);
            for (DriveInfo d : g.drives()) {
                assertTrue(d.index() != c[1] || !d.state().equals(io.evasan.raid.drive.DriveState.AVAILABLE));
            }
            checkContents(g, c, mode + " after reopen");
            assertEquals(1.0, ((io.evasan.raid.impl.DiskGroupImpl) g).stats().journalReplayed(), "one record replayed");
        }
        try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
            DiskGroup g = pool.diskGroup(0);
            assertEquals(0.0, ((io.evasan.raid.impl.DiskGroupImpl) g).stats().journalReplayed(), "records were retired");
            checkContents(g, c, mode + " after a second reopen");
        }
    }

    /** Replaying a record twice (a crash during replay, before retirement) changes nothing more. */
    @ParameterizedTest
    @ValueSource(strings = {"rmw", "rcw"})
    void shouldReplayIdempotently(String mode) throws Exception {
        long[] c = crash(dir, mode);
        loseDrive(dir, c[1]);
        Path journal = dir.resolve(io.evasan.raid.journal.JournalDescriptor.fileName(0));
        byte[] saved = Files.readAllBytes(journal);
        for (int round = 0; round < 2; round++) {
            try (Pool pool = Pools.open(dir, new SimpleMeterRegistry())) {
                DiskGroup g = pool.diskGroup(0);
                assertEquals(1.0, ((io.evasan.raid.impl.DiskGroupImpl) g).stats().journalReplayed());
                checkContents(g, c, mode + " replay " + round);
            }
            Files.write(journal, saved); // as if the crash came again before the record was retired
        }
    }
}
