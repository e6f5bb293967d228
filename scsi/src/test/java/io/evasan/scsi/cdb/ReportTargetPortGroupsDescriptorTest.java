package io.evasan.scsi.cdb;

import io.evasan.scsi.Harness;
import io.evasan.scsi.alua.AccessState;
import org.junit.jupiter.api.Test;

import static io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor.FORMAT_EXTENDED;
import static io.evasan.scsi.cdb.ReportTargetPortGroupsDescriptor.FORMAT_LENGTH_ONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Golden bytes of the REPORT TARGET PORT GROUPS layouts (SPC-4 6.37) and the access state codes. */
class ReportTargetPortGroupsDescriptorTest {

    @Test
    void shouldEncodeTheCdbWithFormatServiceActionAndAllocationLength() {
        byte[] c = new byte[16];
        assertEquals(12, ReportTargetPortGroupsDescriptor.encodeCdb(c, FORMAT_EXTENDED, 0x1000));
        assertArrayEquals(Harness.hex("A3 2A 00000000 00001000 00 00"), java.util.Arrays.copyOf(c, 12));
        assertEquals(FORMAT_EXTENDED, ReportTargetPortGroupsDescriptor.format(c));
        assertEquals(0x1000, ReportTargetPortGroupsDescriptor.allocationLength(c));
        ReportTargetPortGroupsDescriptor.encodeCdb(c, FORMAT_LENGTH_ONLY, 0xFFFFFFFFL);
        assertArrayEquals(Harness.hex("A3 0A 00000000 FFFFFFFF 00 00"), java.util.Arrays.copyOf(c, 12));
    }

    @Test
    void shouldEncodeTheLengthOnlyHeaderWithReturnDataLengthNMinus3() {
        byte[] o = new byte[8];
        java.util.Arrays.fill(o, (byte) 0x55);
        assertEquals(4, ReportTargetPortGroupsDescriptor.encodeHeader(o, FORMAT_LENGTH_ONLY, 30, 36));
        assertArrayEquals(Harness.hex("00000020 55555555"), o, "4 bytes written, no transition time");
        assertEquals(32, ReportTargetPortGroupsDescriptor.returnDataLength(o));
    }

    @Test
    void shouldEncodeTheExtendedHeaderWithFormatTypeAndImplicitTransitionTime() {
        byte[] o = new byte[8];
        java.util.Arrays.fill(o, (byte) 0x55);
        assertEquals(8, ReportTargetPortGroupsDescriptor.encodeHeader(o, FORMAT_EXTENDED, 30, 40));
        assertArrayEquals(Harness.hex("00000024 10 1E 0000"), o);
        assertEquals(FORMAT_EXTENDED, ReportTargetPortGroupsDescriptor.formatType(o));
    }

    @Test
    void shouldEncodeAGroupDescriptorWithItsTargetPorts() {
        byte[] o = new byte[24];
        java.util.Arrays.fill(o, (byte) 0x55);
        int end = ReportTargetPortGroupsDescriptor.encodeGroup(o, 2, true, AccessState.ACTIVE_NON_OPTIMIZED.code(),
                AccessState.allSupportedBits(), 0x0102, ReportTargetPortGroupsDescriptor.STATUS_ALTERED_BY_IMPLICIT_BEHAVIOR,
                new int[]{3, 0xABCD});
        assertEquals(2 + 16, end);
        assertArrayEquals(Harness.hex("5555 81 CF 0102 00 02 00 02 0000 0003 0000 ABCD 555555555555"), o);
        assertTrue(ReportTargetPortGroupsDescriptor.pref(o, 2));
        assertEquals(1, ReportTargetPortGroupsDescriptor.state(o, 2));
        assertEquals(0xCF, ReportTargetPortGroupsDescriptor.supported(o, 2));
        assertEquals(0x0102, ReportTargetPortGroupsDescriptor.groupId(o, 2));
        assertEquals(2, ReportTargetPortGroupsDescriptor.status(o, 2));
        assertEquals(2, ReportTargetPortGroupsDescriptor.portCount(o, 2));
        assertEquals(0xABCD, ReportTargetPortGroupsDescriptor.relativeTargetPort(o, 2, 1));
    }

    @Test
    void shouldEncodeANonPreferredStandbyGroup() {
        byte[] o = new byte[12];
        ReportTargetPortGroupsDescriptor.encodeGroup(o, 0, false, AccessState.STANDBY.code(),
                AccessState.STANDBY.supportedBit(), 7, 0, new int[]{1});
        assertArrayEquals(Harness.hex("02 04 0007 00 00 00 01 0000 0001"), o);
        assertFalse(ReportTargetPortGroupsDescriptor.pref(o, 0));
    }

    @Test
    void shouldKeepTheSpc4CodesAndSupportedBitsOfEveryAccessState() {
        int[][] expected = {{0x0, 0x01}, {0x1, 0x02}, {0x2, 0x04}, {0x3, 0x08}, {0xE, 0x40}, {0xF, 0x80}};
        AccessState[] states = AccessState.values();
        assertEquals(expected.length, states.length);
        for (int i = 0; i < states.length; i++) {
            assertEquals(expected[i][0], states[i].code(), states[i].name());
            assertEquals(expected[i][1], states[i].supportedBit(), states[i].name());
            assertEquals(states[i], AccessState.ofCode(expected[i][0]));
        }
        assertEquals(0xCF, AccessState.allSupportedBits(), "T O U S AN AO, no LBD_SUP");
        assertThrows(IllegalArgumentException.class, () -> AccessState.ofCode(0x4), "LBA dependent is not implemented");
    }
}
