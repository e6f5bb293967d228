package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stored event record: golden bytes (computed independently of this code), round trip, every bit flip refused. */
class EventRecordDescriptorTest {
    private static final Event EVENT = new Event(7, 1_800_000_000_000L, Severity.CRITICAL, "health", "lun m1", "",
            "OK -> FAILED");
    private static final String GOLDEN = "45564556" + "0100" + "0200" + "40000000" + "0700000000000000"
            + "00505c18a3010000" + "0600" + "0600" + "0000" + "0c00"
            + "6865616c7468" + "6c756e206d31" + "4f4b202d3e204641494c4544" + "248dcb63";

    @Test
    void shouldEncodeTheGoldenBytes() {
        assertArrayEquals(HexFormat.of().parseHex(GOLDEN), EventRecordDescriptor.encode(EVENT));
        assertEquals(EVENT, EventRecordDescriptor.decode(HexFormat.of().parseHex(GOLDEN)));
    }

    @Test
    void shouldRoundTripUnicodeAndEveryField() {
        Event e = new Event(1L << 40, 5, Severity.WARNING, "audit", "drive dg0/3", "token 1a2b3c4d from 127.0.0.1",
                "POST /api/luns → 201 (größe 8 MiB)");
        assertEquals(e, EventRecordDescriptor.decode(EventRecordDescriptor.encode(e)));
    }

    @Test
    void shouldRefuseEveryBitFlipAndEveryShortening() {
        byte[] r = EventRecordDescriptor.encode(EVENT);
        for (int i = 0; i < r.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = r.clone();
                bad[i] ^= (byte) (1 << bit);
                StorageException e = assertThrows(StorageException.class, () -> EventRecordDescriptor.decode(bad),
                        "byte " + i + " bit " + bit);
                assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
                assertTrue(e.getMessage().startsWith("stored event record is malformed: "), e.getMessage());
            }
        }
        for (int n = 0; n < r.length; n++) {
            byte[] shortened = Arrays.copyOf(r, n);
            assertEquals(ErrorCode.CORRUPT_METADATA, assertThrows(StorageException.class,
                    () -> EventRecordDescriptor.decode(shortened)).code(), "length " + n);
        }
    }

    @Test
    void shouldRefuseAFieldLongerThanTheLimitNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventRecordDescriptor.encode(
                new Event(1, 1, Severity.INFO, "audit", "x", "", "m".repeat(EventRecordDescriptor.MAX_FIELD + 1))));
        assertTrue(e.getMessage().contains("message"), e.getMessage());
    }
}
