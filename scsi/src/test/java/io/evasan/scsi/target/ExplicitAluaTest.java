package io.evasan.scsi.target;

import io.evasan.scsi.Harness;
import io.evasan.scsi.Harness.Result;
import io.evasan.scsi.ItNexus;
import io.evasan.scsi.alua.AccessState;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor;
import io.evasan.scsi.cdb.SetTargetPortGroupsDescriptor.Request;
import io.evasan.scsi.lu.LogicalUnit;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.evasan.scsi.ScsiStatus.GOOD;
import static io.evasan.scsi.target.AluaTest.assertCheck;
import static io.evasan.scsi.target.AluaTest.countDescriptors;
import static io.evasan.scsi.target.AluaTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Explicit asymmetric access (SPC-4 5.15, SET TARGET PORT GROUPS 6.45) of a two-controller cell: a host moves the
 * LU to the other group; the groups that changed report STATUS CODE 01h; every other I_T nexus gets ASYMMETRIC
 * ACCESS STATE CHANGED, the one that asked does not; bad parameter lists change nothing.
 */
class ExplicitAluaTest {
    /** {@link AluaTest.Cell} whose states a host may set: exactly one group optimized, the other non-optimized. */
    static class ExplicitCell extends AluaTest.Cell {
        final List<Map<Integer, AccessState>> calls = new ArrayList<>();
        volatile int answer;

        @Override
        public boolean explicit() {
            return true;
        }

        @Override
        public int setStates(LogicalUnit lu, Map<Integer, AccessState> requested) {
            calls.add(Map.copyOf(requested));
            if (answer != 0) {
                return answer;
            }
            Integer ao = null;
            for (Map.Entry<Integer, AccessState> r : requested.entrySet()) {
                if (r.getValue() == AccessState.ACTIVE_OPTIMIZED) {
                    ao = r.getKey();
                } else if (r.getValue() == AccessState.ACTIVE_NON_OPTIMIZED) {
                    ao = 3 - r.getKey();
                } else {
                    return SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST;
                }
            }
            states.put(ao, AccessState.ACTIVE_OPTIMIZED);
            states.put(3 - ao, AccessState.ACTIVE_NON_OPTIMIZED);
            return 0;
        }
    }

    static Result stpg(Harness h, ItNexus n, byte[] params) {
        byte[] cdb = new byte[12];
        SetTargetPortGroupsDescriptor.encodeCdb(cdb, params.length);
        return h.run(n, 0, cdb, params, params.length);
    }

    static byte[] params(int group, AccessState state) {
        return SetTargetPortGroupsDescriptor.encodeParameters(List.of(new Request(group, state)));
    }

    @Test
    void shouldReportImplicitAndExplicitTpgsWithAnExplicitProvider() {
        try (Harness h = new Harness(Harness.BLOCKS, new ExplicitCell())) {
            Result a = run(h, h.open("iqn.t:a", "01", 3), "12 00 00 0060 00", 96);
            assertEquals(0x38, a.data[5] & 0xFF, "3PC and TPGS=11b (implicit and explicit)");
        }
    }

    @Test
    void shouldMoveTheLuAndRaiseTheUnitAttentionOnEveryOtherNexusOnly() {
        ExplicitCell cell = new ExplicitCell();
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus asker = h.openClean("iqn.t:h1", "01", 3);
            ItNexus other = h.openClean("iqn.t:h2", "01", 1);
            Result r = stpg(h, asker, params(2, AccessState.ACTIVE_OPTIMIZED));
            assertEquals(GOOD, r.status, r.toString());
            assertEquals(List.of(Map.of(2, AccessState.ACTIVE_OPTIMIZED)), cell.calls);
            assertEquals(GOOD, run(h, asker, "00 00 00 00 00 00", 0).status, "no unit attention for the asker");
            assertCheck(run(h, other, "00 00 00 00 00 00", 0), SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
            assertEquals(GOOD, run(h, other, "00 00 00 00 00 00", 0).status, "reported once");
            Result groups = run(h, asker, AluaTest.RTPG, 256);
            assertArrayEquals(Harness.hex("00000020"
                    + "81 CF 0001 00 01 00 02 0000 0001 0000 0002"
                    + "00 CF 0002 00 01 00 02 0000 0003 0000 0004"), groups.data,
                    "group 2 optimized, group 1 non-optimized (PREF stays on 1), both altered by STPG (01h)");
            // the same request again changes nothing: no unit attention anywhere
            assertEquals(GOOD, stpg(h, asker, params(2, AccessState.ACTIVE_OPTIMIZED)).status);
            assertEquals(GOOD, run(h, other, "00 00 00 00 00 00", 0).status, "no change, no unit attention");
            // a later implicit change (a failover) marks the groups 02h
            cell.states.put(1, AccessState.ACTIVE_OPTIMIZED);
            cell.states.put(2, AccessState.ACTIVE_NON_OPTIMIZED);
            h.target.accessStatesChanged(h.lu0);
            assertCheck(run(h, asker, "00 00 00 00 00 00", 0), SenseCodes.ASYMMETRIC_ACCESS_STATE_CHANGED);
            assertEquals(2, run(h, asker, AluaTest.RTPG, 256).data[4 + 5], "altered by implicit behavior");
        }
    }

    @Test
    void shouldReportTheGroupsAlteredBySetTargetPortGroupsEvenWhenTheProvidersNotificationRacedAhead() {
        Runnable[] notify = {() -> { }};
        ExplicitCell cell = new ExplicitCell() {
            @Override
            public int setStates(LogicalUnit lu, Map<Integer, AccessState> requested) {
                int r = super.setStates(lu, requested);
                notify[0].run();   // the cell tells the target before the command re-reads (its notifier thread won)
                return r;
            }
        };
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            notify[0] = () -> h.target.accessStatesChanged(h.lu0);
            ItNexus asker = h.openClean("iqn.t:r1", "01", 3);
            assertEquals(GOOD, stpg(h, asker, params(2, AccessState.ACTIVE_OPTIMIZED)).status);
            Result groups = run(h, asker, AluaTest.RTPG, 256);
            assertEquals(1, groups.data[4 + 5], "group 1 altered by SET TARGET PORT GROUPS, not by implicit behavior");
            assertEquals(1, groups.data[4 + 16 + 5], "group 2 altered by SET TARGET PORT GROUPS (a group of two ports: 16 bytes)");
            assertEquals(GOOD, run(h, asker, "00 00 00 00 00 00", 0).status, "no unit attention for the asker");
        }
    }

    @Test
    void shouldAcceptAnEmptyParameterListAsNoRequest() {
        ExplicitCell cell = new ExplicitCell();
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.openClean("iqn.t:e", "01", 1);
            assertEquals(GOOD, stpg(h, n, new byte[0]).status);
            assertEquals(GOOD, stpg(h, n, new byte[4]).status, "a header alone");
            assertEquals(List.of(), cell.calls);
        }
    }

    @Test
    void shouldRefuseBadParameterListsAndChangeNothing() {
        ExplicitCell cell = new ExplicitCell();
        try (Harness h = new Harness(Harness.BLOCKS, cell)) {
            ItNexus n = h.openClean("iqn.t:b", "01", 1);
            assertCheck(stpg(h, n, new byte[6]), SenseCodes.PARAMETER_LIST_LENGTH_ERROR);
            assertCheck(stpg(h, n, params(7, AccessState.ACTIVE_OPTIMIZED)), SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST);
            byte[] twice = SetTargetPortGroupsDescriptor.encodeParameters(List.of(
                    new Request(1, AccessState.ACTIVE_OPTIMIZED), new Request(1, AccessState.ACTIVE_NON_OPTIMIZED)));
            assertCheck(stpg(h, n, twice), SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST);
            byte[] reserved = params(2, AccessState.ACTIVE_OPTIMIZED);
            reserved[4] |= 0x10;
            assertCheck(stpg(h, n, reserved), SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST);
            byte[] badState = params(2, AccessState.ACTIVE_OPTIMIZED);
            badState[4] = 0x05;   // a reserved state code
            assertCheck(stpg(h, n, badState), SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST);
            assertEquals(List.of(), cell.calls, "the provider was never asked");
            assertCheck(stpg(h, n, params(2, AccessState.STANDBY)), SenseCodes.INVALID_FIELD_IN_PARAMETER_LIST);
            cell.answer = SenseCodes.SET_TARGET_PORT_GROUPS_COMMAND_FAILED;
            assertCheck(stpg(h, n, params(2, AccessState.ACTIVE_OPTIMIZED)), SenseCodes.SET_TARGET_PORT_GROUPS_COMMAND_FAILED);
            assertEquals(AccessState.ACTIVE_OPTIMIZED, cell.states.get(1), "nothing moved");
            Result groups = run(h, n, AluaTest.RTPG, 256);
            assertEquals(0, groups.data[4 + 5], "status still 00h");
        }
    }

    @Test
    void shouldOfferStpgOnlyWithAnExplicitProvider() {
        String rsoc = "A3 0C 02 A4 000A 00000100 00 00";
        try (Harness explicit = new Harness(Harness.BLOCKS, new ExplicitCell());
             Harness implicit = new Harness(Harness.BLOCKS, new AluaTest.Cell())) {
            Result e = run(explicit, explicit.openClean("iqn.t:o", "01", 1), rsoc, 256);
            assertArrayEquals(Harness.hex("00 03 000C A4 0A 00000000 FFFFFFFF 00 00"), e.data,
                    "supported; usage data: the service action 0Ah itself, PARAMETER LIST LENGTH");
            ItNexus in = implicit.openClean("iqn.t:o", "01", 1);
            assertArrayEquals(Harness.hex("00 01 0000"), run(implicit, in, rsoc, 256).data, "not supported");
            assertCheck(stpg(implicit, in, params(2, AccessState.ACTIVE_OPTIMIZED)),
                    SenseCodes.INVALID_COMMAND_OPERATION_CODE);
            Result all = run(explicit, explicit.openClean("iqn.t:o2", "01", 1), "A3 0C 00 00 0000 00001000 00 00", 4096);
            assertEquals(1, countDescriptors(all.data, 0xA4, 0x0A));
            Result allImplicit = run(implicit, in, "A3 0C 00 00 0000 00001000 00 00", 4096);
            assertEquals(0, countDescriptors(allImplicit.data, 0xA4, 0x0A));
        }
    }

    @Test
    void shouldRefuseReservedCdbBits() {
        try (Harness h = new Harness(Harness.BLOCKS, new ExplicitCell())) {
            ItNexus n = h.openClean("iqn.t:r", "01", 1);
            byte[] p = params(2, AccessState.ACTIVE_OPTIMIZED);
            CdbReservedBitsTest.assertInvalidField(h.run(n, 0, Harness.hex("A4 2A 00000000 00000008 00 00"), p, 8), 1, 5);
            CdbReservedBitsTest.assertInvalidField(h.run(n, 0, Harness.hex("A4 0A 00000000 00000008 01 00"), p, 8), 10, 0);
        }
    }
}
