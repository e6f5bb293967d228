package io.evasan.scsi.vendor;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

import static io.evasan.scsi.ScsiStatus.CHECK_CONDITION;
import static io.evasan.scsi.ScsiStatus.GOOD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Seed 003 tables 2, 4, 7 and 10 as far as they can be expressed at the SCSI layer: the CDB
 * layouts of tables 1/3/5/8, the sense of every table 2/4 row as produced through the target by an
 * engine answering that row, the return words of tables 7/10, the "Illegal CDB" rows, and the
 * vendor snapshot-marker CDB.
 */
class VendorCommandTest {

    /** An engine that answers the row under test; counts calls to prove bad CDBs never reach it. */
    static final class RowEngine implements SnapshotBackupEngine {
        int initiate;
        int terminate;
        int lopStart;
        int lopStatus;
        final AtomicInteger calls = new AtomicInteger();
        int lastSource = -1;
        int lastDestination = -1;
        int lastOpcode = -1;

        @Override
        public int initiateSnapshot(LogicalUnit addressed, ItNexus nexus) {
            calls.incrementAndGet();
            return initiate;
        }

        @Override
        public int terminateSnapshot(LogicalUnit addressed, ItNexus nexus) {
            calls.incrementAndGet();
            return terminate;
        }

        @Override
        public int lopStart(int lopOpcode, int sourceDrive, int destinationDrive,
                            io.evasan.scsi.lu.LunVisibility visibility) {
            calls.incrementAndGet();
            lastOpcode = lopOpcode;
            lastSource = sourceDrive;
            lastDestination = destinationDrive;
            return lopStart;
        }

        @Override
        public int lopStatus(int lopOpcode, io.evasan.scsi.lu.LunVisibility visibility) {
            calls.incrementAndGet();
            lastOpcode = lopOpcode;
            return lopStatus;
        }
    }

    static byte[] cdb10(java.util.function.Function<byte[], Integer> f) {
        byte[] c = new byte[16];
        return Arrays.copyOf(c, f.apply(c));
    }

    // Table 2 rows: status, SK, ASC, ASCQ (Illegal CDB row is tested in shouldRejectIllegalDcmdCdb)
    @ParameterizedTest(name = "table 2: {4}")
    @CsvSource({
            "0x00, 0x00, 0x00, 0x00, Good Completion snapshot ready",
            "0x02, 0x09, 0x81, 0x06, A rebuild operation is in progress",
            "0x02, 0x09, 0x81, 0x0C, An initialization operation is in progress",
            "0x02, 0x09, 0x81, 0x0D, A check consistency operation is in progress",
            "0x02, 0x09, 0x81, 0x10, A snapshot backup is already in progress",
            "0x02, 0x09, 0x81, 0x19, A log LUN has not been defined",
            "0x02, 0x09, 0x81, 0x20, Command issued to a backup LUN",
    })
    void shouldAnswerInitiateSnapshotTable2Row(String status, String sk, String asc, String ascq, String description) {
        int code = SenseCodes.of(Integer.decode(sk), Integer.decode(asc), Integer.decode(ascq));
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            eng.initiate = code;
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeSnapshot(c, true)), null, 0);
            assertEquals(Integer.decode(status).intValue(), r.status, r.toString());
            assertEquals(code, r.sense);
            assertEquals(1, eng.calls.get());
        }
    }

    @ParameterizedTest(name = "table 4: {4}")
    @CsvSource({
            "0x00, 0x00, 0x00, 0x00, Good Completion snapshot terminated",
            "0x02, 0x09, 0x81, 0x0C, A snapshot backup was not in progress",
    })
    void shouldAnswerTerminateSnapshotTable4Row(String status, String sk, String asc, String ascq, String description) {
        int code = SenseCodes.of(Integer.decode(sk), Integer.decode(asc), Integer.decode(ascq));
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            eng.terminate = code;
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeSnapshot(c, false)), null, 0);
            assertEquals(Integer.decode(status).intValue(), r.status);
            assertEquals(code, r.sense);
        }
    }

    @Test
    void shouldMatchSeedConstantsForTables2And4() {
        assertEquals(SenseCodes.of(5, 0x24, 0), DcmdCodes.ILLEGAL_CDB);
        assertEquals(SenseCodes.of(9, 0x81, 0x06), DcmdCodes.REBUILD_IN_PROGRESS);
        assertEquals(SenseCodes.of(9, 0x81, 0x0C), DcmdCodes.INITIALIZATION_IN_PROGRESS);
        assertEquals(SenseCodes.of(9, 0x81, 0x0D), DcmdCodes.CHECK_CONSISTENCY_IN_PROGRESS);
        assertEquals(SenseCodes.of(9, 0x81, 0x10), DcmdCodes.SNAPSHOT_ALREADY_IN_PROGRESS);
        assertEquals(SenseCodes.of(9, 0x81, 0x19), DcmdCodes.NO_LOG_LUN_DEFINED);
        assertEquals(SenseCodes.of(9, 0x81, 0x20), DcmdCodes.COMMAND_TO_BACKUP_LUN);
        assertEquals(SenseCodes.of(9, 0x81, 0x0C), DcmdCodes.SNAPSHOT_NOT_IN_PROGRESS);
        assertEquals(2, SenseCodes.key(DcmdCodes.BACKUP_LUN_NOT_READY));
        assertEquals(9, SenseCodes.key(DcmdCodes.LOG_OVERFLOW));
    }

    @ParameterizedTest(name = "table 7: {0} {1}")
    @CsvSource({
            "0x0000, Copy Started Successfully",
            "0x0002, One of the system drives is not ready",
            "0x0105, An invalid system drive was specified",
            "0x0106, A copy is already in progress",
    })
    void shouldReturnLopStartTable7Word(String word, String description) {
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            eng.lopStart = Integer.decode(word);
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStart(c, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, 1, 2, 2)), null, 2);
            assertEquals(GOOD, r.status);
            assertArrayEquals(new byte[]{(byte) (eng.lopStart >>> 8), (byte) eng.lopStart}, r.data);
            assertEquals(1, eng.lastSource);
            assertEquals(2, eng.lastDestination);
            assertEquals(DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, eng.lastOpcode);
        }
    }

    @ParameterizedTest(name = "table 10: {0} {1}")
    @CsvSource({
            "0x0000, Copy is in progress",
            "0x0100, Copy completed successfully",
            "0x0002, One of the system drives is not ready",
            "0x0105, No copy in progress",
            "0x0001, Irrecoverable data errors",
            "0x0107, Copy terminated by command",
    })
    void shouldReturnLopStatusTable10Word(String word, String description) {
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            eng.lopStatus = Integer.decode(word);
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStatus(c, DcmdDescriptor.LOP_INCREMENTAL_COPY, 2)), null, 2);
            assertEquals(GOOD, r.status);
            assertEquals(eng.lopStatus, DcmdDescriptor.decodeReturnData(r.data, 0));
            assertEquals(DcmdDescriptor.LOP_INCREMENTAL_COPY, eng.lastOpcode);
        }
    }

    @Test
    void shouldMatchSeedWordsForTables7And10() {
        assertEquals(0x0000, DcmdCodes.LOP_START_COPY_STARTED);
        assertEquals(0x0002, DcmdCodes.LOP_START_DRIVE_NOT_READY);
        assertEquals(0x0105, DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE);
        assertEquals(0x0106, DcmdCodes.LOP_START_COPY_ALREADY_IN_PROGRESS);
        assertEquals(0x0000, DcmdCodes.LOP_STATUS_IN_PROGRESS);
        assertEquals(0x0100, DcmdCodes.LOP_STATUS_COMPLETED);
        assertEquals(0x0002, DcmdCodes.LOP_STATUS_DRIVE_NOT_READY);
        assertEquals(0x0105, DcmdCodes.LOP_STATUS_NO_COPY_IN_PROGRESS);
        assertEquals(0x0001, DcmdCodes.LOP_STATUS_IRRECOVERABLE_DATA_ERRORS);
        assertEquals(0x0107, DcmdCodes.LOP_STATUS_TERMINATED_BY_COMMAND);
    }

    @Test
    void shouldAnswerInvalidSystemDriveWithoutReachingEngine() {
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStart(c, DcmdDescriptor.LOP_COPY_SYSTEM_DRIVE, 1, 8, 2)), null, 2);
            assertEquals(GOOD, r.status);
            assertEquals(DcmdCodes.LOP_START_INVALID_SYSTEM_DRIVE, DcmdDescriptor.decodeReturnData(r.data, 0));
            assertEquals(0, eng.calls.get());
        }
    }

    @Test
    void shouldTruncateLopReturnDataToAllocationLength() {
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            eng.lopStatus = 0x0107;
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result zero = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStatus(c, 1, 0)), null, 2);
            assertEquals(GOOD, zero.status);
            assertEquals(0, zero.data.length);
            Result one = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStatus(c, 1, 1)), null, 2);
            assertArrayEquals(new byte[]{0x01}, one.data);
            Result many = h.run(n, 0, cdb10(c -> DcmdDescriptor.encodeLopStatus(c, 1, 100)), null, 100);
            assertArrayEquals(new byte[]{0x01, 0x07}, many.data);
        }
    }

    /** The "Illegal CDB" rows of tables 2 and 4 (05/24/00), and bad LOP CDBs. */
    @ParameterizedTest(name = "illegal DCMD CDB {0}: byte {1}")
    @CsvSource({
            "initiate reserved byte 3, 3, 20 00 50 01 00 00 00 00 00 00",
            "initiate reserved byte 8, 8, 20 00 50 00 00 00 00 00 01 00",
            "terminate reserved byte 5, 5, 20 00 51 00 00 01 00 00 00 00",
            "reserved bits in byte 1, 1, 20 01 50 00 00 00 00 00 00 00",
            "unknown DCMD sub-opcode 99h, 2, 20 00 99 00 00 00 00 00 00 00",
            "control byte not zero, 9, 20 00 51 00 00 00 00 00 00 04",
            "LOP start unknown LOP opcode, 3, 20 00 44 7F 00 01 00 00 02 00",
            "LOP start reserved byte 6, 6, 20 00 44 01 00 01 01 00 02 00",
            "LOP status reserved byte 4, 4, 20 00 43 01 01 00 00 00 02 00",
    })
    void shouldRejectIllegalDcmdCdb(String name, int field, String hex) {
        byte[] cdb = Harness.hex(hex);
        assertEquals(field, DcmdDescriptor.validate(cdb, cdb.length));
        try (Harness h = new Harness()) {
            RowEngine eng = new RowEngine();
            h.target.registerVendorHandler(0x20, new DcmdHandler(eng));
            ItNexus n = h.openClean("iqn.t:h", "01");
            Result r = h.run(n, 0, cdb, null, 2);
            assertEquals(CHECK_CONDITION, r.status);
            assertEquals(DcmdCodes.ILLEGAL_CDB, r.sense);
            assertEquals(0, eng.calls.get());
        }
    }

    @Test
    void shouldIgnoreLunFieldInByte1() {
        byte[] cdb = Harness.hex("20E05000000000000000");
        assertEquals(-1, DcmdDescriptor.validate(cdb, cdb.length));
    }

    @Test
    void shouldEncodeAndDecodeDcmdLayouts() {
        byte[] c = new byte[10];
        DcmdDescriptor.encodeLopStart(c, 2, 3, 4, 0x1234);
        assertArrayEquals(Harness.hex("20004402030400123400"), c);
        DcmdDescriptor.encodeLopStatus(c, 1, 2);
        assertArrayEquals(Harness.hex("20004301000000000200"), c);
        DcmdDescriptor.encodeSnapshot(c, true);
        assertArrayEquals(Harness.hex("20005000000000000000"), c);
        DcmdDescriptor.encodeSnapshot(c, false);
        assertArrayEquals(Harness.hex("20005100000000000000"), c);
    }

    @Test
    void shouldAnswerBackupLunConditionsThroughReadiness() {
        try (Harness h = new Harness()) {
            ItNexus n = h.openClean("iqn.t:h", "01");
            h.lu0.setReadiness(DcmdCodes.BACKUP_LUN_NOT_READY);
            h.lu0.setOneShotCondition(DcmdCodes.LOG_OVERFLOW);
            byte[] read = new byte[10];
            read[0] = 0x28;
            read[8] = 1;
            Result first = h.run(n, 0, read, null, 512);
            assertEquals(DcmdCodes.LOG_OVERFLOW, first.sense);
            Result second = h.run(n, 0, read, null, 512);
            assertEquals(DcmdCodes.BACKUP_LUN_NOT_READY, second.sense);
        }
    }

    @Test
    void shouldExecuteSnapshotMarkerCdb() {
        try (Harness h = new Harness()) {
            long[] seen = new long[2];
            h.target.registerVendorHandler(SnapshotMarkerCdbDescriptor.OPCODE, new SnapshotMarkerHandler((lu, clone, tag) -> {
                seen[0] = tag;
                seen[1] = clone ? 1 : 0;
                return 77;
            }));
            ItNexus n = h.openClean("iqn.t:h", "01");
            byte[] c = new byte[16];
            SnapshotMarkerCdbDescriptor.encode(c, SnapshotMarkerCdbDescriptor.SA_SNAPCLONE, 0x1122334455667788L, 16);
            assertEquals(-1, SnapshotMarkerCdbDescriptor.validate(c, 16));
            Result r = h.run(n, 0, c, null, 16);
            assertEquals(GOOD, r.status);
            assertEquals(77, io.evasan.scsi.cdb.CdbDescriptor.u64(r.data, 0));
            assertEquals(0x1122334455667788L, io.evasan.scsi.cdb.CdbDescriptor.u64(r.data, 8));
            assertEquals(0x1122334455667788L, seen[0]);
            assertEquals(1, seen[1]);
            c[1] = 0x07;
            Result bad = h.run(n, 0, c, null, 16);
            assertEquals(SenseCodes.INVALID_FIELD_IN_CDB, bad.sense);
        }
    }

    @Test
    void shouldMapMarkerSinkFailureToCheckCondition() {
        try (Harness h = new Harness()) {
            h.target.registerVendorHandler(0xC0, new SnapshotMarkerHandler((lu, clone, tag) -> {
                throw LuException.check(SenseCodes.SPACE_ALLOCATION_FAILED_WRITE_PROTECT);
            }));
            ItNexus n = h.openClean("iqn.t:h", "01");
            byte[] c = new byte[16];
            SnapshotMarkerCdbDescriptor.encode(c, 1, 5, 16);
            assertEquals(SenseCodes.SPACE_ALLOCATION_FAILED_WRITE_PROTECT, h.run(n, 0, c, null, 16).sense);
        }
    }

    @Test
    void shouldRefuseHandlerForStandardOpcode() {
        try (Harness h = new Harness()) {
            assertThrows(IllegalArgumentException.class, () -> h.target.registerVendorHandler(0x28, r -> 0));
        }
    }
}
