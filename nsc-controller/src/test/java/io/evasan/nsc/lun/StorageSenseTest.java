package io.evasan.nsc.lun;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.lu.LuException;
import io.evasan.scsi.sense.SenseCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The single StorageException -> SCSI translation, row by row over every ErrorCode. */
class StorageSenseTest {
    /** Expected answer per code: {status, key, asc, ascq}. */
    private static final Map<ErrorCode, int[]> TABLE = new EnumMap<>(ErrorCode.class);

    static {
        row(ErrorCode.UNALIGNED_IO, ScsiStatus.CHECK_CONDITION, 0x05, 0x24, 0x00);
        row(ErrorCode.OUT_OF_RANGE, ScsiStatus.CHECK_CONDITION, 0x05, 0x21, 0x00);
        row(ErrorCode.UNRECOVERABLE_READ, ScsiStatus.CHECK_CONDITION, 0x03, 0x11, 0x00);
        row(ErrorCode.WRITE_FAULT, ScsiStatus.CHECK_CONDITION, 0x03, 0x03, 0x00);
        row(ErrorCode.SPACE_ALLOCATION_FAILED, ScsiStatus.CHECK_CONDITION, 0x07, 0x27, 0x07);
        row(ErrorCode.DRIVE_FAILED, ScsiStatus.CHECK_CONDITION, 0x04, 0x3E, 0x01);
        row(ErrorCode.DRIVE_MISSING, ScsiStatus.CHECK_CONDITION, 0x04, 0x08, 0x00);
        row(ErrorCode.DRIVE_TOO_SMALL, ScsiStatus.CHECK_CONDITION, 0x04, 0x44, 0x00);
        row(ErrorCode.DUPLICATE_DRIVE, ScsiStatus.CHECK_CONDITION, 0x04, 0x44, 0x00);
        row(ErrorCode.FOREIGN_POOL, ScsiStatus.CHECK_CONDITION, 0x04, 0x44, 0x00);
        row(ErrorCode.INSUFFICIENT_DRIVES, ScsiStatus.CHECK_CONDITION, 0x04, 0x3E, 0x01);
        row(ErrorCode.CORRUPT_METADATA, ScsiStatus.CHECK_CONDITION, 0x03, 0x31, 0x00);
        row(ErrorCode.NOT_FOUND, ScsiStatus.CHECK_CONDITION, 0x05, 0x25, 0x00);
        row(ErrorCode.ALREADY_EXISTS, ScsiStatus.CHECK_CONDITION, 0x05, 0x24, 0x00);
        row(ErrorCode.INVALID_ARGUMENT, ScsiStatus.CHECK_CONDITION, 0x05, 0x24, 0x00);
        row(ErrorCode.INVALID_STATE, ScsiStatus.CHECK_CONDITION, 0x05, 0x2C, 0x00);
        row(ErrorCode.SNAPSHOT_INVALIDATED, ScsiStatus.CHECK_CONDITION, 0x02, 0x04, 0x00);
        row(ErrorCode.BUSY, ScsiStatus.BUSY, 0, 0, 0);
        row(ErrorCode.IO_ERROR, ScsiStatus.CHECK_CONDITION, 0x04, 0x44, 0x00);
    }

    private static void row(ErrorCode c, int status, int key, int asc, int ascq) {
        TABLE.put(c, new int[]{status, key, asc, ascq});
    }

    @Test
    void shouldHaveARowForEveryErrorCode() {
        for (ErrorCode c : ErrorCode.values()) {
            assertTrue(TABLE.containsKey(c), "no expected SCSI answer for " + c + ": add it to StorageSense and here");
        }
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void shouldTranslateEachErrorCode(ErrorCode code) {
        int[] want = TABLE.get(code);
        LuException e = StorageSense.toLu(new StorageException(code, "test " + code), 1234);
        assertEquals(want[0], e.status(), code + " status");
        assertEquals(want[0], StorageSense.status(code), code + " status()");
        if (want[0] == ScsiStatus.CHECK_CONDITION) {
            assertEquals(SenseCodes.of(want[1], want[2], want[3]), e.senseCode(), code + " sense "
                    + SenseCodes.toString(e.senseCode()));
            assertEquals(1234, e.information());
        } else {
            assertEquals(SenseCodes.NO_SENSE, e.senseCode());
        }
    }
}
