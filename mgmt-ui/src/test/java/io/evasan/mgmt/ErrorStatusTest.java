package io.evasan.mgmt;

import io.evasan.error.ErrorCode;
import io.evasan.mgmt.impl.ErrorStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one ErrorCode -> HTTP status table. */
class ErrorStatusTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "NOT_FOUND, 404", "ALREADY_EXISTS, 409", "INVALID_STATE, 409", "INVALID_ARGUMENT, 400",
        "UNALIGNED_IO, 400", "OUT_OF_RANGE, 400", "SPACE_ALLOCATION_FAILED, 507", "BUSY, 503",
        "UNRECOVERABLE_READ, 500", "WRITE_FAULT, 500", "DRIVE_FAILED, 500", "DRIVE_MISSING, 500",
        "DRIVE_TOO_SMALL, 500", "DUPLICATE_DRIVE, 500", "FOREIGN_POOL, 500", "INSUFFICIENT_DRIVES, 500",
        "CORRUPT_METADATA, 500", "SNAPSHOT_INVALIDATED, 500", "IO_ERROR, 500",
    })
    void shouldMapEachCodeToItsStatus(ErrorCode code, int status) {
        assertEquals(status, ErrorStatus.of(code));
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void shouldMapEveryCode(ErrorCode code) {
        int s = ErrorStatus.of(code);
        assertTrue(s >= 400 && s <= 599);
    }
}
