package io.evasan.nsc.backup;

import io.evasan.nsc.Nsc;
import io.evasan.nsc.backup.impl.SnapshotBackupEngineImpl;
import io.evasan.nsc.lun.LunRecord;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.cdb.ExtendedCopyDescriptor;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.vendor.DcmdCodes;
import io.evasan.scsi.vendor.DcmdDescriptor;
import io.evasan.scsi.vendor.SnapshotMarkerCdbDescriptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static io.evasan.nsc.Nsc.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every field of every vendor and copy command that names a LUN, against LUN masking: for each row
 * the requester sees every LUN of the layout except the ones the row hides, so a refusal can come
 * from the field under test only. With the LUN hidden the command is refused with the row's sense
 * and field pointer and the whole observable state (data of every LUN, backup state, copy, snapshots)
 * is unchanged; with the LUN visible the same command succeeds (an over-strict check fails the row).
 *
 * <p>Layout: primary {@code prim} (host LUN 0), log LUN {@code log} whose backup LUN is host LUN 1,
 * destination {@code dst} (host LUN 2), the requester's own {@code home} (host LUN 3, always
 * presented; commands naming LUNs by number or descriptor are sent there). The owner host sees
 * prim, log and dst and writes their data.
 */
class LunNamingMaskingTest {
    static final String OWNER = "iqn.2026-01.io.good:host";
    static final String REQUESTER = "iqn.2026-01.io.probe:requester";
    static final int SEG = Nsc.SEG;
    static final long SIZE = 16L * SEG;
    static final int HOME = 3;
    static final int XCOPY_BLOCKS = 256;

    /** The controller, both hosts and the LUNs, with the requester seeing ALL minus {@code hidden}. */
    static final class Ctx implements AutoCloseable {
        final Nsc n = new Nsc("mask-table");
        final LunRecord prim = n.ctl.createLun("prim", SIZE);
        final LunRecord log = n.ctl.defineLogLun("log", 8L * SEG);
        final LunRecord dst = n.ctl.createLun("dst", SIZE);
        final LunRecord home = n.ctl.createLun("home", SIZE);
        final ItNexus owner;
        final ItNexus requester;

        Ctx(Set<String> hidden) {
            String[] order = {"prim", "log", "dst"};
            for (int l = 0; l < order.length; l++) {
                n.ctl.presentLun(OWNER, l, order[l]);
                if (!hidden.contains(order[l])) {
                    n.ctl.presentLun(REQUESTER, l, order[l]);
                }
            }
            n.ctl.presentLun(REQUESTER, HOME, "home");
            owner = n.nexus(OWNER);
            requester = n.nexus(REQUESTER, "2");
            fill(0, 1);
            fill(2, 2);
        }

        void fill(int hostLun, long seed) {
            int blocks = SEG / 512;
            for (int s = 0; s < SIZE / SEG; s++) {
                Nsc.Result r = n.runNoUa(owner, hostLun, write10((long) s * blocks, blocks, true),
                        Nsc.pattern(SEG, seed * 100 + s), SEG);
                assertTrue(r.good(), "fill " + r);
            }
        }

        byte[] content(String lun) {
            byte[] b = new byte[(int) SIZE];
            n.ctl.read(lun, 0, b);
            return b;
        }

        SnapshotBackupEngineImpl engine() {
            return n.ctl.backupEngine();
        }

        /** Everything a refused command must leave as it was. */
        List<Object> state() throws InterruptedException {
            engine().awaitCopy(30_000);
            return List.of(Arrays.hashCode(content("prim")), Arrays.hashCode(content("dst")),
                    Arrays.hashCode(content("home")), engine().state(), engine().activePrimary(),
                    String.valueOf(engine().copyProgress()), n.ctl.listSnapshots().size());
        }

        Nsc.Result send(int hostLun, byte[] cdb, byte[] dataOut, long edtl) {
            return n.runNoUa(requester, hostLun, cdb, dataOut, edtl);
        }

        @Override
        public void close() {
            n.close();
        }
    }

    /** Setup before the command (as the owner / administrator). */
    enum Before { NOTHING, BACKUP, BACKUP_AND_OWNER_COPY }

    /**
     * One LUN-naming field.
     *
     * @param hidden   LUNs the requester does not see in the refused run
     * @param command  sends the command as the requester
     * @param refused  what the requester gets when it cannot see the named LUN
     * @param allowed  checks the effect when it can
     */
    record Row(String field, Set<String> hidden, Before before, Function<Ctx, Nsc.Result> command,
               BiConsumer<Ctx, Nsc.Result> refused, BiConsumer<Ctx, Nsc.Result> allowed) {
        @Override
        public String toString() {
            return field;
        }
    }

    static Nsc.Result lopStart(Ctx c, int src, int dst) {
        byte[] cdb = new byte[10];
        DcmdDescriptor.encodeLopStart(cdb, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, src, dst, 2);
        return c.send(HOME, cdb, null, 2);
    }

    static Nsc.Result lopStatus(Ctx c) {
        byte[] cdb = new byte[10];
        DcmdDescriptor.encodeLopStatus(cdb, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, 2);
        return c.send(HOME, cdb, null, 2);
    }

    static Nsc.Result dcmd(Ctx c, int hostLun, boolean initiate) {
        byte[] cdb = new byte[10];
        DcmdDescriptor.encodeSnapshot(cdb, initiate);
        return c.send(hostLun, cdb, null, 0);
    }

    /** EXTENDED COPY of {@value #XCOPY_BLOCKS} blocks from LBA 0 of prim to LBA 0 of dst, named by NAA. */
    static Nsc.Result xcopy(Ctx c) {
        byte[] p = new byte[ExtendedCopyDescriptor.HEADER + 2 * ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH
                + ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH];
        ExtendedCopyDescriptor.header(p, 0, ExtendedCopyDescriptor.LIST_ID_USAGE_NONE,
                2 * ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH, ExtendedCopyDescriptor.SEGMENT_BLOCK_TO_BLOCK_LENGTH, 0);
        int off = ExtendedCopyDescriptor.HEADER;
        off += ExtendedCopyDescriptor.identificationTarget(p, off, 1, 3, naa(c, "prim"), LogicalUnit.BLOCK_SIZE);
        off += ExtendedCopyDescriptor.identificationTarget(p, off, 1, 3, naa(c, "dst"), LogicalUnit.BLOCK_SIZE);
        ExtendedCopyDescriptor.blockToBlock(p, off, 0, 1, XCOPY_BLOCKS, 0, 0);
        byte[] cdb = new byte[16];
        ExtendedCopyDescriptor.extendedCopy(cdb, p.length);
        return c.send(HOME, cdb, p, p.length);
    }

    static byte[] naa(Ctx c, String lun) {
        return c.n.ctl.logicalUnit(lun).naaIdentifier();
    }

    static byte[] marker() {
        byte[] cdb = new byte[16];
        SnapshotMarkerCdbDescriptor.encode(cdb, SnapshotMarkerCdbDescriptor.SA_SNAPSHOT, 7, 16);
        return cdb;
    }

    // ------------------------------------------------------------------ expectations

    static BiConsumer<Ctx, Nsc.Result> illegalCdbAt(int field) {
        return (c, r) -> {
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
            assertEquals(DcmdCodes.ILLEGAL_CDB, r.sense, r.toString());
            assertEquals(field, r.fieldPointer, "field pointer");
            assertEquals(0xC0, r.senseBytes[15] & 0xC0, "SKSV, C/D=1: in the CDB");
        };
    }

    static BiConsumer<Ctx, Nsc.Result> unreachableCopyTargetAt(int field) {
        return (c, r) -> {
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
            assertEquals(SenseCodes.COPY_TARGET_DEVICE_NOT_REACHABLE, r.sense, r.toString());
            assertEquals(field, r.fieldPointer, "segment pointer into the parameter list");
            assertEquals(0x80, r.senseBytes[15] & 0xE0, "SKSV, C/D=0, SD=0: relative to the parameter list");
        };
    }

    static BiConsumer<Ctx, Nsc.Result> notPresented() {
        return (c, r) -> {
            assertEquals(ScsiStatus.CHECK_CONDITION, r.status, r.toString());
            assertEquals(SenseCodes.LOGICAL_UNIT_NOT_SUPPORTED, r.sense, "the nexus addresses no LU: " + r);
        };
    }

    static BiConsumer<Ctx, Nsc.Result> copiedPrimIntoDst() {
        return (c, r) -> {
            assertTrue(r.good(), r.toString());
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, DcmdDescriptor.decodeReturnData(r.data, 0));
            try {
                c.engine().awaitCopy(30_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertArrayEquals(c.content("prim"), c.content("dst"), "the snapshot of prim was copied into dst");
        };
    }

    static Stream<Arguments> rows() {
        int designator = ExtendedCopyDescriptor.HEADER + ExtendedCopyDescriptor.DESIGNATOR_OFFSET;
        return Stream.of(
                new Row("LOP START source = the primary's drive (read)", Set.of("prim"), Before.BACKUP,
                        c -> lopStart(c, c.prim.id(), c.dst.id()),
                        illegalCdbAt(DcmdDescriptor.SOURCE_OFFSET), copiedPrimIntoDst()),
                new Row("LOP START source = the log drive (read)", Set.of("log"), Before.BACKUP,
                        c -> lopStart(c, c.log.id(), c.dst.id()),
                        illegalCdbAt(DcmdDescriptor.SOURCE_OFFSET), copiedPrimIntoDst()),
                new Row("LOP START destination drive (write)", Set.of("dst"), Before.BACKUP,
                        c -> lopStart(c, c.log.id(), c.dst.id()),
                        illegalCdbAt(DcmdDescriptor.DESTINATION_OFFSET), copiedPrimIntoDst()),
                new Row("LOP STATUS of the owner's copy log -> dst (information)", Set.of("log", "dst"),
                        Before.BACKUP_AND_OWNER_COPY, LunNamingMaskingTest::lopStatus,
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            assertEquals(DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS, DcmdDescriptor.decodeReturnData(r.data, 0));
                        },
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            assertEquals(DcmdCodes.LOP_STATUS_COMPLETED, DcmdDescriptor.decodeReturnData(r.data, 0));
                        }),
                new Row("EXTENDED COPY source target descriptor (read)", Set.of("prim"), Before.NOTHING,
                        LunNamingMaskingTest::xcopy, unreachableCopyTargetAt(designator),
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            int n = XCOPY_BLOCKS * 512;
                            assertArrayEquals(Arrays.copyOf(c.content("prim"), n), Arrays.copyOf(c.content("dst"), n));
                        }),
                new Row("EXTENDED COPY destination target descriptor (write)", Set.of("dst"), Before.NOTHING,
                        LunNamingMaskingTest::xcopy,
                        unreachableCopyTargetAt(designator + ExtendedCopyDescriptor.TARGET_DESCRIPTOR_LENGTH),
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            int n = XCOPY_BLOCKS * 512;
                            assertArrayEquals(Arrays.copyOf(c.content("prim"), n), Arrays.copyOf(c.content("dst"), n));
                        }),
                new Row("DCMD SNAPSHOT INITIATE: the addressed primary (snapshot)", Set.of("prim"), Before.NOTHING,
                        c -> dcmd(c, 0, true), notPresented(),
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            assertEquals(c.prim.id(), c.engine().activePrimary());
                        }),
                new Row("DCMD SNAPSHOT TERMINATE: the addressed backup LUN", Set.of("log"), Before.BACKUP,
                        c -> dcmd(c, 1, false), notPresented(),
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            assertEquals(BackupState.INACTIVE, c.engine().state());
                        }),
                new Row("C0h SNAPSHOT MARKER: the addressed LUN (snapshot)", Set.of("prim"), Before.NOTHING,
                        c -> c.send(0, marker(), null, 16), notPresented(),
                        (c, r) -> {
                            assertTrue(r.good(), r.toString());
                            assertTrue(c.n.ctl.listSnapshots().stream().anyMatch(s -> s.lunId() == c.prim.id())
                                    || awaitSnapshot(c), "a snapshot of prim");
                        })
        ).map(Arguments::of);
    }

    static boolean awaitSnapshot(Ctx c) {
        for (int i = 0; i < 200; i++) {
            if (c.n.ctl.listSnapshots().stream().anyMatch(s -> s.lunId() == c.prim.id())) {
                return true;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        return false;
    }

    static void prepare(Ctx c, Before before) throws Exception {
        if (before != Before.NOTHING) {
            c.n.ctl.initiateBackup("prim");
        }
        if (before == Before.BACKUP_AND_OWNER_COPY) {
            byte[] cdb = new byte[10];
            DcmdDescriptor.encodeLopStart(cdb, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, c.log.id(), c.dst.id(), 2);
            Nsc.Result r = c.n.runNoUa(c.owner, 1, cdb, null, 2);
            assertEquals(DcmdCodes.LOP_START_COPY_STARTED, DcmdDescriptor.decodeReturnData(r.data, 0), r.toString());
            c.engine().awaitCopy(30_000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldRefuseANamedLunTheRequesterCannotSeeAndChangeNothing(Row row) throws Exception {
        try (Ctx c = new Ctx(row.hidden())) {
            prepare(c, row.before());
            List<Object> before = c.state();
            Nsc.Result r = row.command().apply(c);
            row.refused().accept(c, r);
            assertEquals(before, c.state(), "nothing changed: data of every LUN, backup, copy, snapshots");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void shouldActOnANamedLunTheRequesterSees(Row row) throws Exception {
        try (Ctx c = new Ctx(Set.of())) {
            prepare(c, row.before());
            Nsc.Result r = row.command().apply(c);
            row.allowed().accept(c, r);
        }
    }
}
