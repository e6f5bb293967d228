package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.TmfFunction;
import io.evasan.scsi.TmfResponse;
import io.evasan.scsi.cdb.BlockCdbDescriptor;
import io.evasan.scsi.cdb.CdbDescriptor;
import io.evasan.scsi.cdb.OpCodes;
import io.evasan.scsi.cdb.ParameterListDescriptor;
import io.evasan.scsi.cdb.ServiceCdbDescriptor;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static io.evasan.scsi.ScsiStatus.CHECK_CONDITION;
import static io.evasan.scsi.ScsiStatus.GOOD;
import static io.evasan.scsi.ScsiStatus.RESERVATION_CONFLICT;
import static io.evasan.scsi.cdb.ServiceCdbDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SPC-4 persistent reservations and RESERVE(6)/RELEASE(6) across two and three I_T nexuses. */
class PersistentReservationTest {
    Harness h;
    ItNexus a;
    ItNexus b;
    ItNexus c;

    @BeforeEach
    void setUp() {
        h = new Harness();
        a = h.openClean("iqn.2026-01.test:a", "23D000000001");
        b = h.openClean("iqn.2026-01.test:b", "23D000000002");
        c = h.openClean("iqn.2026-01.test:c", "23D000000003");
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    Result prout(ItNexus n, int sa, int type, long key, long saKey) {
        byte[] p = new byte[24];
        ParameterListDescriptor.proutBasic(p, key, saKey, false, false);
        byte[] cdb = new byte[10];
        ServiceCdbDescriptor.persistentReserveOut(cdb, sa, 0, type, 24);
        return h.run(n, 0, cdb, p, 24);
    }

    Result prin(ItNexus n, int sa) {
        byte[] cdb = new byte[10];
        ServiceCdbDescriptor.persistentReserveIn(cdb, sa, 4096);
        return h.run(n, 0, cdb, null, 4096);
    }

    Result read(ItNexus n) {
        byte[] cdb = new byte[10];
        BlockCdbDescriptor.encode(cdb, OpCodes.READ_10, 0, 1, 0);
        return h.run(n, 0, cdb, null, 512);
    }

    Result write(ItNexus n) {
        byte[] cdb = new byte[10];
        BlockCdbDescriptor.encode(cdb, OpCodes.WRITE_10, 0, 1, 0);
        return h.run(n, 0, cdb, new byte[512], 512);
    }

    Result tur(ItNexus n) {
        return h.run(n, 0, new byte[6], null, 0);
    }

    Result simple(ItNexus n, int op) {
        byte[] cdb = new byte[6];
        ServiceCdbDescriptor.simple6(cdb, op);
        return h.run(n, 0, cdb, null, 0);
    }

    Result modeSense(ItNexus n) {
        byte[] cdb = new byte[6];
        ServiceCdbDescriptor.modeSense6(cdb, false, 0, 0x3F, 0, 255);
        return h.run(n, 0, cdb, null, 255);
    }

    void ok(Result r) {
        assertEquals(GOOD, r.status, r.toString());
    }

    void conflict(Result r) {
        assertEquals(RESERVATION_CONFLICT, r.status, r.toString());
    }

    void ua(ItNexus n, int code) {
        Result r = tur(n);
        assertEquals(CHECK_CONDITION, r.status, r.toString());
        assertEquals(code, r.sense, SenseCodes.toString(r.sense));
    }

    long[] keys(ItNexus n) {
        Result r = prin(n, PRIN_READ_KEYS);
        int len = (int) CdbDescriptor.u32(r.data, 4);
        long[] k = new long[len / 8];
        for (int i = 0; i < k.length; i++) {
            k[i] = CdbDescriptor.u64(r.data, 8 + 8 * i);
        }
        return k;
    }

    @Test
    void shouldRegisterAndCountGenerations() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        assertEquals(2, CdbDescriptor.u32(prin(a, PRIN_READ_KEYS).data, 0));
        assertEquals(Arrays.toString(new long[]{0xA, 0xB}), Arrays.toString(keys(c)));
        conflict(prout(a, PROUT_REGISTER, 0, 0x99, 0xAA));            // wrong key
        conflict(prout(c, PROUT_REGISTER, 0, 0x5, 0xC));              // unregistered with non-zero key
        ok(prout(a, PROUT_REGISTER_AND_IGNORE, 0, 0x99, 0xAA));       // ignore existing key
        ok(prout(a, PROUT_REGISTER, 0, 0xAA, 0xAB));                  // change key
        assertEquals(Arrays.toString(new long[]{0xAB, 0xB}), Arrays.toString(keys(c)));
        ok(prout(c, PROUT_REGISTER, 0, 0, 0));                        // unregistered, zero: no-op
        ok(prout(b, PROUT_REGISTER, 0, 0xB, 0));                      // unregister
        assertEquals(Arrays.toString(new long[]{0xAB}), Arrays.toString(keys(c)));
        assertEquals(5, CdbDescriptor.u32(prin(a, PRIN_READ_KEYS).data, 0));
    }

    @Test
    void shouldApplyWriteExclusive() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));      // same again: GOOD
        conflict(prout(a, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS, 0xA, 0)); // holder, other type
        conflict(prout(b, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xB, 0));
        Result rr = prin(c, PRIN_READ_RESERVATION);
        assertEquals(16, CdbDescriptor.u32(rr.data, 4));
        assertEquals(0xA, CdbDescriptor.u64(rr.data, 8));
        assertEquals(PR_WRITE_EXCLUSIVE, rr.data[21]);
        ok(read(b));
        ok(read(c));
        conflict(write(b));
        conflict(write(c));
        ok(write(a));
        ok(tur(c));
        ok(prout(b, PROUT_RELEASE, PR_WRITE_EXCLUSIVE, 0xB, 0));      // non-holder release: no-op
        conflict(write(b));
        assertEquals(SenseCodes.INVALID_RELEASE_OF_PERSISTENT_RESERVATION,
                prout(a, PROUT_RELEASE, PR_EXCLUSIVE_ACCESS, 0xA, 0).sense);
        ok(prout(a, PROUT_RELEASE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        ok(write(b));
        assertEquals(8, prin(c, PRIN_READ_RESERVATION).data.length);
    }

    @Test
    void shouldApplyExclusiveAccess() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS, 0xA, 0));
        conflict(read(b));
        conflict(read(c));
        conflict(modeSense(b));
        ok(tur(b));
        ok(prin(c, PRIN_READ_KEYS));
        byte[] inq = new byte[6];
        ServiceCdbDescriptor.inquiry(inq, false, 0, 36);
        ok(h.run(c, 0, inq, null, 36));
        ok(read(a));
    }

    @ParameterizedTest(name = "type {0}: registered {1}/{2}, unregistered {3}/{4}")
    @CsvSource({
            "5, GOOD, GOOD, GOOD, CONFLICT",
            "6, GOOD, GOOD, CONFLICT, CONFLICT",
            "7, GOOD, GOOD, GOOD, CONFLICT",
            "8, GOOD, GOOD, CONFLICT, CONFLICT",
    })
    void shouldApplyRegistrantTypes(int type, String regRead, String regWrite, String unregRead, String unregWrite) {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, type, 0xA, 0));
        expect(regRead, read(b));
        expect(regWrite, write(b));
        expect(unregRead, read(c));
        expect(unregWrite, write(c));
    }

    private void expect(String what, Result r) {
        if (what.equals("GOOD")) {
            ok(r);
        } else {
            conflict(r);
        }
    }

    @Test
    void shouldReleaseRegistrantsOnlyReservationWhenHolderUnregisters() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0xA, 0));
        ok(prout(a, PROUT_REGISTER, 0, 0xA, 0));
        ua(b, SenseCodes.RESERVATIONS_RELEASED);
        assertEquals(8, prin(c, PRIN_READ_RESERVATION).data.length);
        ok(write(c));
    }

    @Test
    void shouldKeepAllRegistrantsReservationUntilLastRegistrantLeaves() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(b, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS_ALL_REGISTRANTS, 0xB, 0));
        Result rr = prin(c, PRIN_READ_RESERVATION);
        assertEquals(0, CdbDescriptor.u64(rr.data, 8));                // key 0 for all-registrants
        Result fs = prin(c, PRIN_READ_FULL_STATUS);
        assertEquals(0x01, fs.data[8 + 12] & 0x01);                       // both are holders
        int first = 24 + (int) CdbDescriptor.u32(fs.data, 8 + 20);
        assertEquals(0x01, fs.data[8 + first + 12] & 0x01);
        ok(prout(b, PROUT_REGISTER, 0, 0xB, 0));
        conflict(read(c));
        ok(read(a));
        ok(prout(a, PROUT_REGISTER, 0, 0xA, 0));
        ok(read(c));
    }

    @Test
    void shouldReportFullStatusWithIscsiTransportIds() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        Result fs = prin(c, PRIN_READ_FULL_STATUS);
        assertEquals(fs.data.length - 8, CdbDescriptor.u32(fs.data, 4));
        int p = 8;
        int holders = 0;
        String[] names = new String[2];
        for (int i = 0; i < 2; i++) {
            long key = CdbDescriptor.u64(fs.data, p);
            boolean holder = (fs.data[p + 12] & 1) != 0;
            if (holder) {
                holders++;
                assertEquals(0xA, key);
                assertEquals(PR_WRITE_EXCLUSIVE, fs.data[p + 13]);
            } else {
                assertEquals(0, fs.data[p + 13]);
            }
            assertEquals(1, CdbDescriptor.u16(fs.data, p + 18));
            int tid = (int) CdbDescriptor.u32(fs.data, p + 20);
            assertEquals(0x45, fs.data[p + 24] & 0xFF);                 // format 01b, iSCSI
            assertEquals(0, (tid - 4) % 4);
            int[] len = new int[1];
            names[i] = ParameterListDescriptor.decodeTransportId(fs.data, p + 24, p + 24 + tid, len);
            assertEquals(tid, len[0]);
            p += 24 + tid;
        }
        assertEquals(1, holders);
        assertEquals(a.initiatorPortId(), names[0]);
        assertEquals(b.initiatorPortId(), names[1]);
    }

    @Test
    void shouldPreemptHolderWithThreeNexuses() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(c, PROUT_REGISTER, 0, 0, 0xC));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        ok(prout(b, PROUT_PREEMPT, PR_EXCLUSIVE_ACCESS, 0xB, 0xA));
        ua(a, SenseCodes.REGISTRATIONS_PREEMPTED);
        ua(c, SenseCodes.RESERVATIONS_RELEASED);                         // type changed for remaining registrant
        Result rr = prin(c, PRIN_READ_RESERVATION);
        assertEquals(0xB, CdbDescriptor.u64(rr.data, 8));
        assertEquals(PR_EXCLUSIVE_ACCESS, rr.data[21]);
        assertEquals(Arrays.toString(new long[]{0xB, 0xC}), Arrays.toString(keys(b)));
        conflict(read(a));
        conflict(read(c));
        ok(read(b));
        conflict(prout(a, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS, 0xA, 0));   // no longer registered
    }

    @Test
    void shouldPreemptNonHolderRegistrationOnly() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(c, PROUT_REGISTER, 0, 0, 0xC));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        ok(prout(b, PROUT_PREEMPT_AND_ABORT, PR_WRITE_EXCLUSIVE, 0xB, 0xC));
        ua(c, SenseCodes.REGISTRATIONS_PREEMPTED);
        assertEquals(0xA, CdbDescriptor.u64(prin(b, PRIN_READ_RESERVATION).data, 8));
        conflict(prout(b, PROUT_PREEMPT, PR_WRITE_EXCLUSIVE, 0xB, 0x77)); // no such key
        assertEquals(SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST,
                prout(b, PROUT_PREEMPT, PR_WRITE_EXCLUSIVE, 0xB, 0).sense); // SA key 0, not all-registrants
    }

    @Test
    void shouldPreemptAllRegistrantsWithZeroKey() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(c, PROUT_REGISTER, 0, 0, 0xC));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE_ALL_REGISTRANTS, 0xA, 0));
        ok(prout(c, PROUT_PREEMPT, PR_WRITE_EXCLUSIVE, 0xC, 0));
        ua(a, SenseCodes.REGISTRATIONS_PREEMPTED);
        ua(b, SenseCodes.REGISTRATIONS_PREEMPTED);
        assertEquals(Arrays.toString(new long[]{0xC}), Arrays.toString(keys(a)));
        Result rr = prin(a, PRIN_READ_RESERVATION);
        assertEquals(0xC, CdbDescriptor.u64(rr.data, 8));
        assertEquals(PR_WRITE_EXCLUSIVE, rr.data[21]);
    }

    @Test
    void shouldClearEverything() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        ok(prout(a, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS, 0xA, 0));
        conflict(prout(c, PROUT_CLEAR, 0, 0xC, 0));
        ok(prout(b, PROUT_CLEAR, 0, 0xB, 0));
        ua(a, SenseCodes.RESERVATIONS_PREEMPTED);
        assertEquals(0, keys(c).length);
        assertEquals(8, prin(c, PRIN_READ_RESERVATION).data.length);
        ok(read(c));
        assertEquals(3, CdbDescriptor.u32(prin(c, PRIN_READ_KEYS).data, 0));
    }

    @Test
    void shouldRegisterAndMoveToAnotherNexus() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(a, PROUT_RESERVE, PR_EXCLUSIVE_ACCESS, 0xA, 0));
        byte[] p = new byte[128];
        int len = ParameterListDescriptor.proutRegisterAndMove(p, 0xA, 0xB2, true, b.relativeTargetPortId(), b.initiatorPortId());
        byte[] cdb = new byte[10];
        ServiceCdbDescriptor.persistentReserveOut(cdb, PROUT_REGISTER_AND_MOVE, 0, PR_EXCLUSIVE_ACCESS, len);
        ok(h.run(a, 0, cdb, Arrays.copyOf(p, len), len));
        assertEquals(Arrays.toString(new long[]{0xB2}), Arrays.toString(keys(c)));
        ok(read(b));
        conflict(read(a));
        assertEquals(0xB2, CdbDescriptor.u64(prin(c, PRIN_READ_RESERVATION).data, 8));
    }

    @Test
    void shouldHonourAllTargetPortsRegistration() {
        ItNexus a2 = h.open("iqn.2026-01.test:a", "23D000000001", 2);
        tur(a2);
        byte[] p = new byte[24];
        ParameterListDescriptor.proutBasic(p, 0, 0xA, true, false);
        byte[] cdb = new byte[10];
        ServiceCdbDescriptor.persistentReserveOut(cdb, PROUT_REGISTER, 0, 0, 24);
        ok(h.run(a, 0, cdb, p, 24));
        ok(prout(a2, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));      // same initiator port, other target port
        ok(write(a));
        ok(write(a2));
        conflict(write(b));
        Result fs = prin(c, PRIN_READ_FULL_STATUS);
        assertEquals(0x03, fs.data[8 + 12] & 0x03);                        // ALL_TG_PT, R_HOLDER
    }

    @Test
    void shouldKeepPersistentReservationsAcrossLuResetButDropReserve6() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        assertEquals(TmfResponse.FUNCTION_COMPLETE, h.target.taskManagement(b, TmfFunction.LOGICAL_UNIT_RESET, 0, 0));
        ua(a, SenseCodes.BUS_DEVICE_RESET_OCCURRED);
        ua(b, SenseCodes.BUS_DEVICE_RESET_OCCURRED);
        conflict(write(b));
        assertEquals(0xA, CdbDescriptor.u64(prin(b, PRIN_READ_RESERVATION).data, 8));
        ok(prout(a, PROUT_RELEASE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        ok(simple(a, OpCodes.RESERVE_6));
        conflict(simple(b, OpCodes.RESERVE_6));
        h.target.taskManagement(b, TmfFunction.LOGICAL_UNIT_RESET, 0, 0);
        ua(b, SenseCodes.BUS_DEVICE_RESET_OCCURRED);
        ok(simple(b, OpCodes.RESERVE_6));
    }

    /** The libiscsi Reserve6 two-initiator scenario. */
    @Test
    void shouldReserve6AcrossTwoInitiators() {
        ok(simple(a, OpCodes.RESERVE_6));
        ok(simple(a, OpCodes.RESERVE_6));
        conflict(simple(b, OpCodes.RESERVE_6));
        ok(simple(b, OpCodes.RELEASE_6));
        ok(modeSense(a));
        conflict(modeSense(b));
        conflict(read(b));
        conflict(prout(b, PROUT_REGISTER, 0, 0, 0xB));
        byte[] inq = new byte[6];
        ServiceCdbDescriptor.inquiry(inq, false, 0, 36);
        ok(h.run(b, 0, inq, null, 36));
        conflict(simple(b, OpCodes.RESERVE_6));
        ok(simple(a, OpCodes.RELEASE_6));
        ok(simple(b, OpCodes.RESERVE_6));
        ok(simple(b, OpCodes.RELEASE_6));
    }

    @Test
    void shouldReleaseReserve6OnNexusLoss() {
        ok(simple(a, OpCodes.RESERVE_6));
        conflict(write(b));
        h.target.closeNexus(a);
        ok(write(b));
    }

    @Test
    void shouldRefuseReserve6UnderPersistentReservation() {
        ok(prout(a, PROUT_REGISTER, 0, 0, 0xA));
        ok(prout(a, PROUT_RESERVE, PR_WRITE_EXCLUSIVE, 0xA, 0));
        conflict(simple(b, OpCodes.RESERVE_6));
        assertTrue(prin(a, PRIN_REPORT_CAPABILITIES).data.length == 8);
    }
}
