package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The stored alert configuration: golden bytes (computed independently), round trip, every bit flip refused. */
class AlertConfigDescriptorTest {
    private static final AlertConfigDescriptor.Stored CONFIG = new AlertConfigDescriptor.Stored(
            EnumSet.of(AlertRule.CAPACITY_90, AlertRule.DATA_LOST), List.of("http://127.0.0.1:9/hook"));
    private static final String GOLDEN = "4556414c" + "0100" + "1200" + "0100" + "0000" + "1700"
            + "687474703a2f2f3132372e302e302e313a392f686f6f6b" + "3ddd9648";

    @Test
    void shouldEncodeTheGoldenBytesAndRoundTrip() {
        assertArrayEquals(HexFormat.of().parseHex(GOLDEN), AlertConfigDescriptor.encode(CONFIG));
        assertEquals(CONFIG, AlertConfigDescriptor.decode(HexFormat.of().parseHex(GOLDEN)));
        AlertConfigDescriptor.Stored none = new AlertConfigDescriptor.Stored(EnumSet.noneOf(AlertRule.class), List.of());
        assertEquals(none, AlertConfigDescriptor.decode(AlertConfigDescriptor.encode(none)));
    }

    @Test
    void shouldRefuseEveryBitFlipAndEveryShortening() {
        byte[] r = AlertConfigDescriptor.encode(CONFIG);
        for (int i = 0; i < r.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = r.clone();
                bad[i] ^= (byte) (1 << bit);
                assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                        () -> AlertConfigDescriptor.decode(bad), "byte " + i + " bit " + bit).code());
            }
        }
        for (int n = 0; n < r.length; n++) {
            byte[] shortened = Arrays.copyOf(r, n);
            assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                    () -> AlertConfigDescriptor.decode(shortened)).code(), "length " + n);
        }
    }
}
