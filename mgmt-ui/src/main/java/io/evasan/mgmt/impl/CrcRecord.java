package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The frame the management layer's own records share ({@link HostDescriptor}, {@link ScheduleDescriptor}):
 * little endian, a u32 magic at offset 0 and a u16 version at offset 4 open the header, and the record
 * ends with the CRC-32C of every byte before it (u32). What lies between is each descriptor's own layout.
 *
 * <p>Invariant: {@link #seal} writes exactly the trailer that {@link #checkCrc} verifies; every refusal is
 * a {@link StorageException} CORRUPT_METADATA "stored &lt;what&gt; is malformed: &lt;why&gt;".
 */
final class CrcRecord {
    /** Bytes of the CRC-32C trailer. */
    static final int TRAILER = 4;

    private CrcRecord() {
    }

    /** Appends the CRC-32C of bytes {@code [0, position)} of {@code b}'s array at its position; returns the array. */
    static byte[] seal(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /**
     * A little-endian view of {@code r} once it is at least {@code header} + trailer bytes long and
     * carries {@code magic} and {@code version}; the CRC is not checked yet ({@link #checkCrc}).
     *
     * @throws StorageException CORRUPT_METADATA "short record" or "bad magic or version"
     */
    static ByteBuffer open(byte[] r, int header, int magic, int version, String what) {
        if (r == null || r.length < header + TRAILER) {
            throw corrupt(what, "short record");
        }
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != magic || (b.getShort(4) & 0xFFFF) != version) {
            throw corrupt(what, "bad magic or version");
        }
        return b;
    }

    /** @throws StorageException CORRUPT_METADATA "CRC mismatch" unless the trailer is the CRC-32C of the bytes before it */
    static void checkCrc(byte[] r, String what) {
        CRC32C crc = new CRC32C();
        crc.update(r, 0, r.length - TRAILER);
        if ((int) crc.getValue() != ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).getInt(r.length - TRAILER)) {
            throw corrupt(what, "CRC mismatch");
        }
    }

    static StorageException corrupt(String what, String why) {
        return new StorageException(ErrorCode.CORRUPT_METADATA, "stored " + what + " is malformed: " + why);
    }
}
