package io.evasan.nsc;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunInUseException;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.nsc.lun.Presentation;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 item 4 at the cell API: delete and shrink of a LUN that hosts see or that has snapshots are refused
 * unless forced, and the refusal changes nothing; presentations that would show one LUN twice to an initiator or
 * shadow another are refused naming the one in the way.
 */
class LunGuardTest {
    static final String OTHER = "iqn.2026-01.test:host2";
    static final long MIB = 1L << 20;

    /** What a refused call must leave as it was: the LUN, its size, its presentations, its snapshots, its data. */
    private record State(List<LunRecord> luns, List<Presentation> presentations, List<String> snapshots, byte[] data) {
        static State of(Nsc n, String lun) {
            byte[] d = new byte[Nsc.SEG];
            n.ctl.read(lun, 0, d);
            return new State(n.ctl.listLuns(), n.ctl.listPresentations(),
                    n.ctl.listSnapshots().stream().map(s -> s.name()).toList(), d);
        }

        void assertSame(State now) {
            assertEquals(luns, now.luns, "LUNs and their sizes unchanged");
            assertEquals(presentations, now.presentations, "presentations unchanged");
            assertEquals(snapshots, now.snapshots, "snapshots unchanged");
            assertArrayEquals(data, now.data, "data unchanged");
        }
    }

    private static LunRecord lunWithData(Nsc n, String name, long size) {
        LunRecord r = n.ctl.createLun(name, size);
        n.ctl.cache().write(r.id(), r.id(), 0, ByteBuffer.wrap(Nsc.pattern(Nsc.SEG, 7)), true);
        return r;
    }

    @Test
    void shouldRefuseDeletingAPresentedLunUnlessForcedAndChangeNothing() {
        try (Nsc n = new Nsc("guard-delete-presented")) {
            lunWithData(n, "db", 4 * MIB);
            n.ctl.presentLun(Nsc.HOST, 3, "db");
            State before = State.of(n, "db");
            LunInUseException e = assertThrows(LunInUseException.class, () -> n.ctl.deleteLun("db"));
            assertEquals(ErrorCode.INVALID_STATE, e.code());
            assertEquals("db", e.lun());
            assertEquals(List.of(new Presentation(Nsc.HOST, 3, n.ctl.lun("db").id())), e.presentations());
            assertTrue(e.getMessage().contains("LUN db") && e.getMessage().contains(Nsc.HOST + " as host LUN 3"), e.getMessage());
            assertThrows(LunInUseException.class, () -> n.ctl.deleteLun("db", false));
            before.assertSame(State.of(n, "db"));

            n.ctl.deleteLun("db", true);
            assertTrue(n.ctl.listLuns().stream().noneMatch(l -> l.name().equals("db")), "the forced delete deleted it");
            assertTrue(n.ctl.listPresentations().isEmpty());
        }
    }

    @Test
    void shouldRefuseDeletingALunWithSnapshotsUnlessForced() throws Exception {
        try (Nsc n = new Nsc("guard-delete-snap")) {
            lunWithData(n, "db", 4 * MIB);
            n.ctl.snapshot("db", "db-s1", false).taken().get();
            n.ctl.presentSnapshot(OTHER, 1, "db-s1");
            State before = State.of(n, "db");
            LunInUseException e = assertThrows(LunInUseException.class, () -> n.ctl.deleteLun("db"));
            assertEquals(List.of("db-s1"), e.snapshots());
            assertTrue(e.getMessage().contains("snapshot db-s1 to " + OTHER + " as host LUN 1"), e.getMessage());
            before.assertSame(State.of(n, "db"));
            n.ctl.deleteLun("db", true);
            assertTrue(n.ctl.listSnapshots().isEmpty(), "its snapshots went with it");
        }
    }

    @Test
    void shouldDeleteAnUnpresentedLunWithoutSnapshotsUnforced() {
        try (Nsc n = new Nsc("guard-delete-free")) {
            n.ctl.createLun("scratch", MIB);
            n.ctl.presentLun(Nsc.HOST, 0, "scratch");
            n.ctl.unpresentLun(Nsc.HOST, 0);
            n.ctl.deleteLun("scratch");
            assertTrue(n.ctl.listLuns().isEmpty());
        }
    }

    @Test
    void shouldRefuseShrinkingALunInUseUnlessForcedAndGrowItUnforced() {
        try (Nsc n = new Nsc("guard-shrink")) {
            lunWithData(n, "db", 10 * MIB);
            n.ctl.presentLun("*", 0, "db");
            State before = State.of(n, "db");
            LunInUseException e = assertThrows(LunInUseException.class, () -> n.ctl.resizeLun("db", MIB));
            assertTrue(e.getMessage().contains("shrinking LUN db from 10 MiB to 1 MiB"), e.getMessage());
            assertTrue(e.getMessage().contains("every initiator (*) as host LUN 0"), e.getMessage());
            before.assertSame(State.of(n, "db"));

            assertEquals(12 * MIB, n.ctl.resizeLun("db", 12 * MIB).sizeBytes(), "a grow takes nothing: unforced");
            assertEquals(2 * MIB, n.ctl.resizeLun("db", 2 * MIB, true).sizeBytes(), "the forced shrink");
            assertEquals(2 * MIB, n.ctl.lun("db").sizeBytes());
        }
    }

    @Test
    void shouldRefuseShowingOneLunTwiceToAnInitiatorNamingTheExistingPresentation() {
        try (Nsc n = new Nsc("guard-twice")) {
            n.ctl.createLun("db", MIB);
            n.ctl.presentLun(Nsc.HOST, 0, "db");
            List<Presentation> before = n.ctl.listPresentations();
            StorageException e = assertThrows(StorageException.class, () -> n.ctl.presentLun(Nsc.HOST, 5, "db"));
            assertEquals(ErrorCode.ALREADY_EXISTS, e.code());
            assertTrue(e.getMessage().contains(Nsc.HOST + " already sees LUN db as host LUN 0"), e.getMessage());
            e = assertThrows(StorageException.class, () -> n.ctl.presentLun("iqn.2026-01.TEST:HOST1", 6, "db"));
            assertTrue(e.getMessage().contains("as host LUN 0"), "iSCSI names compare case-insensitively: " + e.getMessage());
            e = assertThrows(StorageException.class, () -> n.ctl.presentLun("*", 7, "db"));
            assertTrue(e.getMessage().contains("twice") && e.getMessage().contains(Nsc.HOST + " as host LUN 0"), e.getMessage());
            assertEquals(before, n.ctl.listPresentations(), "refusals changed nothing");

            n.ctl.presentLun(Nsc.HOST, 0, "db");   // the same presentation again changes nothing
            n.ctl.presentLun(OTHER, 5, "db");   // another initiator may see it at another host LUN
            assertEquals(2, n.ctl.listPresentations().size());
        }
    }

    @Test
    void shouldRefuseAPresentationThatShadowsAnotherSayingWhich() throws Exception {
        try (Nsc n = new Nsc("guard-shadow")) {
            n.ctl.createLun("shared", MIB);
            n.ctl.createLun("mine", MIB);
            n.ctl.createLun("third", MIB);
            n.ctl.presentLun("*", 0, "shared");
            n.ctl.presentLun(Nsc.HOST, 1, "mine");
            List<Presentation> before = n.ctl.listPresentations();
            StorageException e = assertThrows(StorageException.class, () -> n.ctl.presentLun(Nsc.HOST, 0, "third"));
            assertTrue(e.getMessage().contains("would shadow LUN shared, which every initiator (*) sees as host LUN 0"), e.getMessage());
            e = assertThrows(StorageException.class, () -> n.ctl.presentLun("*", 1, "third"));
            assertTrue(e.getMessage().contains("shadowed for " + Nsc.HOST + ", which sees LUN mine there"), e.getMessage());
            e = assertThrows(StorageException.class, () -> n.ctl.presentLun(Nsc.HOST, 1, "third"));
            assertTrue(e.getMessage().contains("host LUN 1 of " + Nsc.HOST + " already presents LUN mine"), e.getMessage());
            n.ctl.snapshot("shared", "shared-s", false).taken().get();
            e = assertThrows(StorageException.class, () -> n.ctl.presentSnapshot(Nsc.HOST, 0, "shared-s"));
            assertTrue(e.getMessage().contains("presenting snapshot shared-s to " + Nsc.HOST + " as host LUN 0 would shadow LUN shared"),
                    e.getMessage());
            assertEquals(before, n.ctl.listPresentations(), "refusals changed nothing");
        }
    }

    @Test
    void shouldRefuseABackupCopyOntoALunHoldingDataUnlessForced() throws Exception {
        try (Nsc n = new Nsc("guard-backup-copy")) {
            n.ctl.defineLogLun("log", 8L * Nsc.SEG);
            lunWithData(n, "src", MIB);
            n.ctl.createLun("empty", MIB);
            LunRecord full = n.ctl.createLun("full", MIB);
            n.ctl.cache().write(full.id(), full.id(), 3L * Nsc.SEG, ByteBuffer.wrap(Nsc.pattern(Nsc.SEG, 9)), true);
            n.ctl.cache().synchronize(full.id(), 0, 0);
            n.ctl.initiateBackup("src");
            State before = State.of(n, "full");
            StorageException e = assertThrows(StorageException.class, () -> n.ctl.startBackupCopy("full", false));
            assertEquals(ErrorCode.INVALID_STATE, e.code());
            assertTrue(e.getMessage().contains("copying the backup onto LUN full is refused: it holds data (written at 192 KiB"),
                    e.getMessage());
            assertEquals(null, n.ctl.backupEngine().copyProgress(), "no copy started");
            before.assertSame(State.of(n, "full"));
            n.ctl.presentLun(OTHER, 2, "empty");
            e = assertThrows(LunInUseException.class, () -> n.ctl.startBackupCopy("empty", false));
            assertTrue(e.getMessage().contains(OTHER + " as host LUN 2"), e.getMessage());
            assertEquals(null, n.ctl.backupEngine().copyProgress(), "no copy started");

            n.ctl.startBackupCopy("full", false, true);
            n.ctl.backupEngine().awaitCopy(30_000);
            byte[] src = new byte[Nsc.SEG];
            byte[] dst = new byte[Nsc.SEG];
            n.ctl.read("src", 0, src);
            n.ctl.read("full", 0, dst);
            assertArrayEquals(src, dst, "the forced copy overwrote the destination");

            n.ctl.initiateBackup("src");   // the next backup replaces that copy, untouched since: nothing to ask
            n.ctl.startBackupCopy("full", true);
            n.ctl.backupEngine().awaitCopy(30_000);
            n.ctl.cache().write(full.id(), full.id(), 0, ByteBuffer.wrap(Nsc.pattern(Nsc.SEG, 11)), true);
            n.ctl.cache().synchronize(full.id(), 0, 0);
            n.ctl.initiateBackup("src");   // a write to the copy makes it data of its own again
            e = assertThrows(StorageException.class, () -> n.ctl.startBackupCopy("full", true));
            assertTrue(e.getMessage().contains("holds data"), e.getMessage());
        }
    }

    @Test
    void shouldRefuseAPresentationToNotAnIqnNamingTheValue() throws Exception {
        try (Nsc n = new Nsc("guard-iqn")) {
            n.ctl.createLun("db", MIB);
            n.ctl.snapshot("db", "db-s", false).taken().get();
            for (String bad : List.of("not-an-iqn", "eui.0123", "naa.0123456789abcdef0", "iqn.2026-13.test:x", "10:00:00:00:c9:aa:00")) {
                StorageException e = assertThrows(StorageException.class, () -> n.ctl.presentLun(bad, 1, "db"));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
                assertTrue(e.getMessage().contains("initiator '" + bad + "'"), e.getMessage());
                e = assertThrows(StorageException.class, () -> n.ctl.presentSnapshot(bad, 2, "db-s"));
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            }
            assertTrue(n.ctl.listPresentations().isEmpty(), "refusals changed nothing");
            n.ctl.presentLun("eui.0123456789ABCDEF", 1, "db");
            n.ctl.presentSnapshot("10:00:00:00:c9:aa:00:01", 2, "db-s");
            assertEquals(2, n.ctl.listPresentations().size());
        }
    }
}
