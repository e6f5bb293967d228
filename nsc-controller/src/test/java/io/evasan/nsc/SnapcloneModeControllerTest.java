package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.SnapshotRecord;
import io.evasan.sharing.AllocationPolicy;
import io.evasan.sharing.DiskKind;
import io.evasan.sharing.SnapcloneMode;
import io.evasan.sharing.sharebits.ShareEntry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Seed 004's snapclone modes through the controller (the marker carries mode and M): LUN {@code src}, snapshot
 * S1, snapclone C0; BGCOPY copies segment 0; the host writes segment 0. EAGER (Fig. 13f) copies the old data
 * into S1 as well; SCALING (Fig. 15b) does a conventional CFW only, so S1 still reads through C0, and when C0
 * leaves the segment is copied C0 -> S1 (15c/d): quiesced below M, online at or above it.
 */
class SnapcloneModeControllerTest {
    static final int MIB = 1 << 20;

    private static SnapshotRecord snap(Controller c, String name) {
        return c.listSnapshots().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0} M={1}")
    @CsvSource({"EAGER, 0, 0, 0", "SCALING, 64, 1, 0", "SCALING, 1, 0, 1"})
    void shouldTakeSnapcloneInTheRequestedModeWithItsThreshold(SnapcloneMode mode, int m, int quiesced, int online,
                                                               @TempDir Path dir) throws Exception {
        try (CrossGroupSnapcloneControllerTest.Stack f = new CrossGroupSnapcloneControllerTest.Stack(dir)) {
            Controller c = f.ctl;
            LunRecord src = c.createLun("src", 2 * MIB);
            byte[] a = new byte[2 * MIB];
            Arrays.fill(a, (byte) 0xA);
            c.cache().write(0, src.id(), 0, ByteBuffer.wrap(a), false);
            c.snapshot("src", "s1", false, AllocationPolicy.ON_DEMAND).taken().get(30, TimeUnit.SECONDS);
            c.snapshot("src", "c0", true, AllocationPolicy.ON_DEMAND, -1, mode, m).taken().get(30, TimeUnit.SECONDS);
            long s1 = snap(c, "s1").disk();
            long c0 = snap(c, "c0").disk();
            assertEquals(java.util.List.of(s1, c0, src.disk()), f.trees.chain(src.disk()));
            assertEquals(1, f.trees.bgcopyStep(c0, 1));                       // Fig. 15a / 13e
            byte[] b = new byte[4096];
            Arrays.fill(b, (byte) 0xB);
            c.cache().write(0, src.id(), 0, ByteBuffer.wrap(b), false);
            c.cache().synchronizeAll();                                         // the write reaches the tree
            long s1e = f.trees.entry(s1, 0);
            // EAGER: S1 got its own copy (13g); SCALING: S1 still reads through C0 (15b)
            assertEquals(mode == SnapcloneMode.SCALING, ShareEntry.ss(s1e), ShareEntry.toString(s1e));
            for (int i = 0; i < 100 && f.trees.kind(c0) != DiskKind.LUN; i++) {
                f.trees.bgcopyStep(c0, 4);
            }
            assertEquals(DiskKind.LUN, f.trees.kind(c0));
            assertEquals(quiesced, (int) f.trees.stats().leaveQuiescedCopies.count(), "quiesced leave copies");
            assertEquals(online, (int) f.trees.stats().leaveCopies.count(), "online leave copies");
            byte[] got = new byte[2 * MIB];
            f.trees.read(s1, 0, got, 0, got.length);
            assertArrayEquals(a, got, "S1 reads the data of its time");
            f.trees.read(c0, 0, got, 0, got.length);
            assertArrayEquals(a, got, "C0 reads the data of its time");
        }
    }

    @org.junit.jupiter.api.Test
    void shouldRefuseModeOrThresholdOnAPlainSnapshot(@TempDir Path dir) {
        try (CrossGroupSnapcloneControllerTest.Stack f = new CrossGroupSnapcloneControllerTest.Stack(dir)) {
            f.ctl.createLun("src", 2 * MIB);
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class, () -> f.ctl.snapshot("src", "p",
                    false, AllocationPolicy.ON_DEMAND, -1, SnapcloneMode.SCALING, 0)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(StorageException.class, () -> f.ctl.snapshot("src", "p",
                    true, AllocationPolicy.ON_DEMAND, -1, SnapcloneMode.SCALING, 70_000)).code());
        }
    }
}
