package io.evasan.scsi.sense;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SenseDataTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "LBA_OUT_OF_RANGE, 05/21/00",
            "INVALID_COMMAND_OPERATION_CODE, 05/20/00",
            "INVALID_FIELD_IN_CDB, 05/24/00",
            "INVALID_FIELD_IN_PARAMETER_LIST, 05/26/00",
            "PARAMETER_LIST_LENGTH_ERROR, 05/1A/00",
            "LOGICAL_UNIT_NOT_SUPPORTED, 05/25/00",
            "SPACE_ALLOCATION_FAILED_WRITE_PROTECT, 07/27/07",
            "UNRECOVERED_READ_ERROR, 03/11/00",
            "WRITE_FAULT, 03/03/00",
            "MISCOMPARE_DURING_VERIFY, 0E/1D/00",
            "NOT_READY_CAUSE_NOT_REPORTABLE, 02/04/00",
            "NOT_READY_BECOMING_READY, 02/04/01",
            "NOT_READY_INITIALIZING_COMMAND_REQUIRED, 02/04/02",
            "MEDIUM_NOT_PRESENT, 02/3A/00",
            "POWER_ON_RESET_OCCURRED, 06/29/00",
            "RESERVATIONS_PREEMPTED, 06/2A/03",
            "RESERVATIONS_RELEASED, 06/2A/04",
            "REGISTRATIONS_PREEMPTED, 06/2A/05",
            "CAPACITY_DATA_HAS_CHANGED, 06/2A/09",
            "REPORTED_LUNS_DATA_HAS_CHANGED, 06/3F/0E",
            "WRITE_PROTECTED, 07/27/00",
            "THIN_PROVISIONING_SOFT_THRESHOLD_REACHED, 06/38/07",
    })
    void shouldHaveStandardCode(String name, String expected) throws Exception {
        int code = SenseCodes.class.getField(name).getInt(null);
        assertEquals(expected, SenseCodes.toString(code));
    }

    @Test
    void shouldBuildAndParseFixedFormat() {
        byte[] s = new byte[252];
        int n = SenseDataDescriptor.buildFixed(s, false, SenseCodes.MISCOMPARE_DURING_VERIFY, true, 700, -1, false, -1);
        assertEquals(18, n);
        assertEquals(0xF0, s[0] & 0xFF);
        assertEquals(0x0E, s[2]);
        assertEquals(10, s[7]);
        assertEquals(0x1D, s[12]);
        assertEquals(SenseCodes.MISCOMPARE_DURING_VERIFY, SenseDataDescriptor.code(s));
        assertEquals(700, SenseDataDescriptor.information(s, n));
        assertEquals(-1, SenseDataDescriptor.fieldPointer(s, n));
    }

    @Test
    void shouldBuildFixedDeferredWithFieldPointer() {
        byte[] s = new byte[252];
        int n = SenseDataDescriptor.buildFixed(s, true, SenseCodes.INVALID_FIELD_IN_CDB, false, 0, 2, true, 5);
        assertEquals(0x71, s[0]);
        assertEquals(0x80 | 0x40 | 0x08 | 5, s[15] & 0xFF);
        assertEquals(2, SenseDataDescriptor.fieldPointer(s, n));
        assertEquals(-1, SenseDataDescriptor.information(s, n));
    }

    @Test
    void shouldBuildAndParseDescriptorFormat() {
        byte[] s = new byte[252];
        int n = SenseDataDescriptor.buildDescriptor(s, false, SenseCodes.LBA_OUT_OF_RANGE, true, 0x1_0000_0000L, 9, true, -1);
        assertEquals(8 + 12 + 8, n);
        assertEquals(0x72, s[0]);
        assertEquals(5, s[1]);
        assertEquals(0x21, s[2]);
        assertEquals(20, s[7]);
        assertEquals(0x00, s[8]);
        assertEquals(0x0A, s[9]);
        assertEquals(0x02, s[20]);
        assertEquals(SenseCodes.LBA_OUT_OF_RANGE, SenseDataDescriptor.code(s));
        assertEquals(0x1_0000_0000L, SenseDataDescriptor.information(s, n));
        assertEquals(9, SenseDataDescriptor.fieldPointer(s, n));
        int d = SenseDataDescriptor.buildDescriptor(s, true, SenseCodes.WRITE_FAULT, false, 0, -1, false, -1);
        assertEquals(8, d);
        assertEquals(0x73, s[0]);
    }

    @Test
    void shouldRejectOutOfRangeParts() {
        assertThrows(IllegalArgumentException.class, () -> SenseCodes.of(16, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> SenseCodes.of(1, 256, 0));
    }
}
