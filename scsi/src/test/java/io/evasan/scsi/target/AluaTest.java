package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.alua.TargetPortGroup;
import io.evasan.scsi.alua.TargetPortGroups;
import io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import io.evasan.scsi.sense.SenseDataDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.evasan.scsi.ScsiStatus.CHECK_CONDITION;
import static io.evasan.scsi.ScsiStatus.GOOD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Asymmetric logical unit access (SPC-4 5.15) of a two-controller cell: group 1 (ports 1, 2) owns
 * the LU (active/optimized, preferred), group 2 (ports 3, 4) is the partner (active/non-optimized).
 * INQUIRY TPGS, the VPD 83h group designator, REPORT TARGET PORT GROUPS, the unit attention after a
 * change and the enforcement of each state.
 */
class AluaTest {
    static final String RTPG = "A3 0A 00000000 00000100 00 00";
    static final String RTPG_EXTENDED = "A3 2A 00000000 00000100 00 00";
    static final String READ_10 = "28 00 00000010 00 0001 00";
    static final String WRITE_10 = "2A 00 00000010 00 0001 00";

    /** The cell's view: state per group (the same for every LU), preferred group 1. */
    static class Cell implements TargetPortGroups {
        final Map<Integer, AccessState> states = new ConcurrentHashMap<>(
                Map.of(1, AccessState.ACTIVE_OPTIMIZED, 2, AccessState.ACTIVE_NON_OPTIMIZED));
        volatile int preferred = 1;

        @Override
        public int groupOf(int relativeTargetPortId) {
            return relativeTargetPortId <= 2 ? 1 : relativeTargetPortId <= 4 ? 2 : -1;
        }

        @Override
        public List<TargetPortGroup> groups() {
            return List.of(TargetPortGroup.of(1, 1, 2), TargetPortGroup.of(2, 3, 4));
        }

        @Override
        public AccessState state(LogicalUnit lu, int groupId) {
            return states.get(groupId);
        }

        @Override
        public boolean preferred(LogicalUnit lu, int groupId) {
            return groupId == preferred;
        }

        @Override
        public int implicitTransitionSeconds() {
            return 10;
        }
    }

    static Result run(Harness h, ItNexus n, String cdb, int edtl) {
        return h.run(n, 0, Harness.hex(cdb), null, edtl);
    }

    static void assertCheck(Result r, int sense) {
        assertEquals(CHECK_CONDITION, r.status, r.toString());
        assertEquals(SenseCodes.toString(sense), SenseCodes.toString(r.sense), r.toString());
    }

    // ------------------------------------------------------------------ INQUIRY

    @Test
    void shouldReportImplicitTpgsInStandardInquiryOnlyWithAProvider() {
        try (Harness alua = new Harness(Harness.BLOCKS, new Cell()); Harness plain = new Harness()) {
            Result a = run(alua, alua.open("iqn.t:a", "01", 3), "12 00 00 0060 00", 96);
            assertEquals(GOOD, a.status);
            assertEquals(0x18, a.data[5] & 0xFF, "3PC and TPGS=01b (implicit)");
            Result p = run(plain, plain.open("iqn.t:p", "01", 3), "12 00 00 0060 00", 96);
            assertEquals(0x08, p.data[5] & 0xFF, "TPGS=00b without a provider");
        }
    }

    @Test
    void shouldListTheTargetPortGroupOfTheNexusInVpdPage83() {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell()); Harness plain = new Harness()) {
            byte[] page = run(h, h.open("iqn.t:v", "01", 3), "12 01 83 0200 00", 512).data;
            byte[] relPort = designator(page, 0x4);
            byte[] group = designator(page, 0x5);
            assertArrayEquals(Harness.hex("51 94 00 04 0000 0003"), relPort, "relative target port 3");
            assertArrayEquals(Harness.hex("51 95 00 04 0000 0002"), group,
                    "iSCSI, binary, PIV, target port association, type 5, group 2");
            assertEquals(null, designator(run(plain, plain.open("iqn.t:v", "01", 3), "12 01 83 0200 00", 512).data, 0x5),
                    "no target port group designator without a provider");
        }
    }

    /** The designator of a type in a VPD 83h page, or null; each designator directly after the relative port's. */
    static byte[] designator(byte[] page, int type) {
        int end = 4 + ((page[2] & 0xFF) << 8 | page[3] & 0xFF);
        for (int p = 4; p < end; p += 4 + (page[p + 3] & 0xFF)) {
            if ((page[p + 1] & 0x0F) == type) {
                return java.util.Arrays.copyOfRange(page, p, p + 4 + (page[p + 3] & 0xFF));
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ REPORT TARGET PORT GROUPS

    /** Both groups as the cell starts: group 1 preferred and active/optimized, group 2 active/non-optimized. */
    static final String GROUPS = "80 CF 0001 00 00 00 02 0000 0001 0000 0002"
            + "01 CF 0002 00 00 00 02 0000 0003 0000 0004";

    @ParameterizedTest(name = "{0} through port {2}")
    @CsvSource({
            RTPG + ", 00000020, 3",
            RTPG_EXTENDED + ", 00000024 10 0A 0000, 1"})
    void shouldReportBothGroupsInEitherParameterDataFormat(String cdb, String header, int port) {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell())) {
            Result r = run(h, h.openClean("iqn.t:r", "01", port), cdb, 256);
            assertEquals(GOOD, r.status, r.toString());
            assertArrayEquals(Harness.hex(header + GROUPS), r.data,
                    "length-only: RETURN DATA LENGTH only; extended: FORMAT TYPE 001b, IMPLICIT TRANSITION TIME 10 s");
            assertEquals(256 - r.data.length, r.residual);
        }
    }

    @Test
    void shouldTruncateToTheAllocationLengthAndKeepTheFullReturnDataLength() {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell())) {
            ItNexus n = h.openClean("iqn.t:t", "01", 1);
            Result r = run(h, n, "A3 0A 00000000 0000000C 00 00", 64);
            assertEquals(GOOD, r.status, r.toString());
            assertArrayEquals(Harness.hex("00000020 80 CF 0001 00 00 00 02"), r.data);
            assertEquals(64 - 12, r.residual);
            Result hdr = run(h, n, "A3 2A 00000000 00000004 00 00", 4);
            assertArrayEquals(Harness.hex("00000024"), hdr.data, "the length alone still says everything");
            Result none = run(h, n, "A3 0A 00000000 00000000 00 00", 0);
            assertEquals(GOOD, none.status, "allocation length 0 is not an error");
        }
    }

    @Test
    void shouldAnswerEveryAllocationAndTransferLengthWithTheSamePrefix() {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell())) {
            ItNexus n = h.openClean("iqn.t:l", "01", 1);
            java.util.Random rnd = new java.util.Random(7);
            for (int i = 0; i < 500; i++) {
                int format = rnd.nextInt(2);
                int alloc = rnd.nextInt(48);
                int edtl = rnd.nextInt(48);
                byte[] cdb = new byte[12];
                ReportTargetPortGroupsDescriptor.encodeCdb(cdb, format, alloc);
                Result r = h.run(n, 0, cdb, null, edtl);
                int full = format == 0 ? 36 : 40;
                String where = "format " + format + " alloc " + alloc + " edtl " + edtl;
                assertEquals(GOOD, r.status, where);
                assertEquals(Math.min(Math.min(alloc, full), edtl), r.data.length, where);
                if (r.data.length >= 4) {
                    assertEquals(full - 4, ReportTargetPortGroupsDescriptor.returnDataLength(r.data), where);
                }
            }
        }
    }

    @Test
    void shouldRefuseAReservedParameterDataFormatAndReservedBits() {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell())) {
            ItNexus n = h.openClean("iqn.t:b", "01", 1);
            Result format = run(h, n, "A3 4A 00000000 00000100 00 00", 256);
            CdbReservedBitsTest.assertInvalidField(format, 1, 7);
            CdbReservedBitsTest.assertInvalidField(run(h, n, "A3 0A 01000000 00000100 00 00", 256), 2, 0);
            CdbReservedBitsTest.assertInvalidField(run(h, n, "A3 0A 00000000 00000100 80 00", 256), 10, 7);
            CdbReservedBitsTest.assertInvalidField(run(h, n, "A3 0A 00000000 00000100 00 01", 256), 11, 0);
        }
    }

    @Test
    void shouldListRtpgInReportSupportedOperationCodesOnlyWithAProvider() {
        String rsoc = "A3 0C 02 A3 000A 00000100 00 00";
        try (Harness alua = new Harness(Harness.BLOCKS, new Cell()); Harness plain = new Harness()) {
            Result a = run(alua, alua.openClean("iqn.t:o", "01", 1), rsoc, 256);
            assertArrayEquals(Harness.hex("00 03 000C A3 EA 00000000 FFFFFFFF 00 00"), a.data,
                    "supported; usage data: PARAMETER DATA FORMAT, SA 0Ah, ALLOCATION LENGTH");
            ItNexus pn = plain.openClean("iqn.t:o", "01");
            assertArrayEquals(Harness.hex("00 01 0000"), run(plain, pn, rsoc, 256).data, "not supported");
            CdbReservedBitsTest.assertInvalidField(run(plain, pn, RTPG, 256), 1, 4);
            Result all = run(alua, alua.openClean("iqn.t:o2", "01", 1), "A3 0C 00 00 0000 00001000 00 00", 4096);
            assertEquals(1, countDescriptors(all.data, 0xA3, 0x0A));
            Result allPlain = run(plain, pn, "A3 0C 00 00 0000 00001000 00 00", 4096);
            assertEquals(0, countDescriptors(allPlain.data, 0xA3, 0x0A));
        }
    }

    static int countDescriptors(byte[] data, int op, int sa) {
        int n = 0;
        for (int p = 4; p + 8 <= data.length; p += 8) {
            if ((data[p] & 0xFF) == op && ((data[p + 2] & 0xFF) << 8 | data[p + 3] & 0xFF) == sa) {
                n++;
            }
        }
        return n;
    }

    // ------------------------------------------------------------------ state changes

    @Test
    void shouldRaiseAsymmetricAccessStateChangedOncePerNexusAndMarkTheChangedGroup() {
        Cell cell = new Cell();
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus owner = h.openClean("iqn.t:h1", "01", 1);
            ItNexus partner = h.openClean("iqn.t:h2", "01", 3);
            // failover: the partner takes the LU over
            cell.states.put(1, AccessState.ACTIVE_NON_OPTIMIZED);
            cell.states.put(2, AccessState.ACTIVE_OPTIMIZED);
            cell.preferred = 2;
            h.target.accessStatesChanged(h.lu0);
            for (ItNexus n : List.of(owner, partner)) {
                assertCheck(run(h, n, "00 00 00 00 00 00", 0), SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
                assertEquals(GOOD, run(h, n, "00 00 00 00 00 00", 0).status, "reported once");
            }
            Result r = run(h, owner, RTPG, 256);
            assertArrayEquals(Harness.hex("00000020"
                    + "01 CF 0001 00 02 00 02 0000 0001 0000 0002"
                    + "80 CF 0002 00 02 00 02 0000 0003 0000 0004"), r.data, "new states, PREF moved, status 02h");
            // a change of the PREF bit alone: no status change
            cell.preferred = 1;
            h.target.accessStatesChanged();
            assertCheck(run(h, owner, RTPG, 256), SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
            Result again = run(h, owner, RTPG, 256);
            assertEquals(0x81, again.data[4] & 0xFF);
            assertEquals(2, again.data[4 + 5], "status stays 02h once altered");
        }
    }

    @Test
    void shouldEnforceTheProviderStateOnlyFromAccessStatesChanged() {
        Cell cell = new Cell();
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.openClean("iqn.t:s", "01", 3);
            cell.states.put(2, AccessState.STANDBY);
            assertEquals(GOOD, run(h, n, READ_10, 512).status, "not yet told");
            h.target.accessStatesChanged(h.lu0);
            assertCheck(run(h, n, READ_10, 512), SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
            assertCheck(run(h, n, READ_10, 512), SenseCodes.NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE);
        }
    }

    @Test
    void shouldRefuseAccessStatesChangedWithoutAProvider() {
        try (Harness h = new Harness()) {
            assertThrows(IllegalStateException.class, () -> h.target.accessStatesChanged(h.lu0));
        }
    }

    // ------------------------------------------------------------------ enforcement

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = AccessState.class, names = {"STANDBY", "UNAVAILABLE", "TRANSITIONING", "OFFLINE"})
    void shouldRefuseMediaAccessAndAnswerDiscoveryInAnInaccessibleState(AccessState state) {
        Cell cell = new Cell();
        cell.states.put(2, state);
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.openClean("iqn.t:e", "01", 4);
            ItNexus owner = h.openClean("iqn.t:o", "01", 2);
            int sense = state.senseCode();
            byte[] block = Harness.pattern(512, 9);
            assertCheck(h.run(n, 0, Harness.hex(WRITE_10), block, 512), sense);
            assertCheck(run(h, n, READ_10, 512), sense);
            assertCheck(run(h, n, "00 00 00 00 00 00", 0), sense);                  // TEST UNIT READY
            assertCheck(run(h, n, "25 00 00000000 00 00 00 00", 8), sense);          // READ CAPACITY(10)
            assertCheck(run(h, n, "35 00 00000000 00 0000 00", 0), sense);           // SYNCHRONIZE CACHE(10)
            assertCheck(run(h, n, "A3 0C 00 00 0000 00000100 00 00", 256), sense);   // RSOC
            assertEquals(GOOD, run(h, n, "12 00 00 0060 00", 96).status);             // INQUIRY
            assertEquals(GOOD, run(h, n, "12 01 83 0200 00", 512).status);
            assertEquals(GOOD, run(h, n, "A0 00 00 000000 00000100 00 00", 256).status); // REPORT LUNS
            Result rtpg = run(h, n, RTPG, 256);
            assertEquals(GOOD, rtpg.status);
            assertEquals(state.code(), rtpg.data[20] & 0x0F, "group 2 reports the state");
            Result rs = run(h, n, "03 00 00 00 FC 00", 252);                         // REQUEST SENSE
            assertEquals(GOOD, rs.status);
            assertEquals(SenseCodes.toString(sense), SenseCodes.toString(SenseDataDescriptor.code(rs.data)));
            Result modeSense = run(h, n, "1A 00 3F 00 FF 00", 255);
            if (state == AccessState.STANDBY) {
                assertEquals(GOOD, modeSense.status, "MODE SENSE is allowed in standby");
                assertEquals(GOOD, run(h, n, "5E 00 00 00 00 00 00 0100 00", 256).status, "PERSISTENT RESERVE IN");
            } else {
                assertCheck(modeSense, sense);
                assertCheck(run(h, n, "5E 00 00 00 00 00 00 0100 00", 256), sense);
            }
            Result read = run(h, owner, READ_10, 512);
            assertEquals(GOOD, read.status, "the owner's group is not restricted");
            assertArrayEquals(new byte[512], read.data, "the refused WRITE changed nothing");
        }
    }

    @Test
    void shouldRefuseAVendorCommandInStandbyWithoutCallingItsHandler() {
        Cell cell = new Cell();
        cell.states.put(2, AccessState.STANDBY);
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            h.target.registerVendorHandler(0xC5, request -> {
                calls.incrementAndGet();
                return 0;
            });
            String vendor = "C5 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";
            assertCheck(run(h, h.openClean("iqn.t:vs", "01", 3), vendor, 0),
                    SenseCodes.NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE);
            assertEquals(0, calls.get());
            assertEquals(GOOD, run(h, h.openClean("iqn.t:vo", "01", 1), vendor, 0).status);
            assertEquals(1, calls.get(), "the owner's port runs it");
        }
    }

    @Test
    void shouldServeEveryCommandThroughAnActiveNonOptimizedGroup() {
        try (Harness h = new Harness(Harness.BLOCKS, new Cell())) {
            ItNexus n = h.openClean("iqn.t:n", "01", 3);
            byte[] block = Harness.pattern(512, 4);
            assertEquals(GOOD, h.run(n, 0, Harness.hex(WRITE_10), block, 512).status);
            assertArrayEquals(block, run(h, n, READ_10, 512).data);
            assertEquals(GOOD, run(h, n, "00 00 00 00 00 00", 0).status);
        }
    }

    @Test
    void shouldReportTheUnitAttentionBeforeTheStateSense() {
        Cell cell = new Cell();
        cell.states.put(2, AccessState.UNAVAILABLE);
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.open("iqn.t:u", "01", 3);
            assertCheck(run(h, n, READ_10, 512), SenseCodes.POWER_ON_RESET_OCCURRED);
            assertCheck(run(h, n, READ_10, 512), SenseCodes.NOT_ACCESSIBLE_TARGET_PORT_IN_UNAVAILABLE_STATE);
        }
    }

    @Test
    void shouldNotRestrictAPortInNoGroup() {
        Cell cell = new Cell();
        cell.states.put(1, AccessState.OFFLINE);
        cell.states.put(2, AccessState.OFFLINE);
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.openClean("iqn.t:z", "01", 9);
            assertEquals(GOOD, run(h, n, READ_10, 512).status);
            assertEquals(null, designator(run(h, n, "12 01 83 0200 00", 512).data, 0x5));
        }
    }
}
