package io.evasan.mgmt;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.AuthRecordDescriptor;
import io.evasan.mgmt.impl.TokenAuthenticator;
import org.junit.jupiter.api.Test;
import io.evasan.nsc.api.Records;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The credential in the cell's records: created once, only a salted hash kept, damaged record refused untouched. */
class TokenAuthenticatorTest {
    /** The cell's records as a map (the MLD-backed one is exercised by every ApplianceFixture test). */
    static final class MapRecords implements Records {
        final Map<String, byte[]> map = new TreeMap<>();

        @Override public List<String> keys(String kind) {
            return map.keySet().stream().filter(k -> k.startsWith(kind + "/")).map(k -> k.substring(kind.length() + 1)).toList();
        }
        @Override public Optional<byte[]> get(String kind, String key) { return Optional.ofNullable(map.get(kind + "/" + key)); }
        @Override public void put(String kind, String key, byte[] record) { map.put(kind + "/" + key, record.clone()); }
        @Override public void remove(String kind, String key) { map.remove(kind + "/" + key); }
    }

    private static byte[] stored(MapRecords r) {
        return r.get(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY).orElseThrow();
    }

    @Test
    void shouldCreateATokenOnceAndStoreOnlyItsSaltedHash() {
        MapRecords records = new MapRecords();
        ManagementConfig cfg = new ManagementConfig().records(records);
        TokenAuthenticator first = TokenAuthenticator.loadOrCreate(cfg);
        String token = first.createdToken().orElseThrow();
        assertTrue(token.length() >= 43, "256 random bits");
        byte[] stored = stored(records);
        assertEquals(AuthRecordDescriptor.LENGTH, stored.length);
        assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains(token));
        assertTrue(first.verify(token));
        assertTrue(first.verifyHeader("Bearer " + token));
        assertTrue(first.verifyHeader("bearer " + token));
        assertFalse(first.verifyHeader(token));
        assertFalse(first.verifyHeader("Bearer " + token + "x"));
        assertFalse(first.verifyHeader(null));
        assertFalse(first.verify(""));

        TokenAuthenticator second = TokenAuthenticator.loadOrCreate(cfg);
        assertTrue(second.createdToken().isEmpty());
        assertTrue(second.verify(token));
        assertArrayEquals(stored, stored(records));

        TokenAuthenticator other = TokenAuthenticator.loadOrCreate(new ManagementConfig().records(new MapRecords()));
        assertNotEquals(token, other.createdToken().orElseThrow());
        assertFalse(other.verify(token));
    }

    @Test
    void shouldRotateToANewTokenThatAloneIsAccepted() {
        MapRecords records = new MapRecords();
        ManagementConfig cfg = new ManagementConfig().records(records);
        String lost = TokenAuthenticator.loadOrCreate(cfg).createdToken().orElseThrow();
        String fresh = ManagementServer.rotateAdminToken(records);
        assertNotEquals(lost, fresh);
        assertFalse(new String(stored(records), StandardCharsets.ISO_8859_1).contains(fresh), "only the hash is stored");
        TokenAuthenticator next = TokenAuthenticator.loadOrCreate(cfg);
        assertTrue(next.createdToken().isEmpty());
        assertTrue(next.verify(fresh));
        assertFalse(next.verify(lost));

        records.put(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY, "damaged".getBytes(StandardCharsets.US_ASCII));
        String repaired = ManagementServer.rotateAdminToken(records);
        assertTrue(TokenAuthenticator.loadOrCreate(cfg).verify(repaired), "a damaged record is replaced too");
    }

    @Test
    void shouldRefuseADamagedRecordAndLeaveItUntouched() {
        MapRecords records = new MapRecords();
        byte[] junk = "not a credential record".getBytes(StandardCharsets.US_ASCII);
        records.put(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY, junk);
        StorageException e = assertThrows(StorageException.class,
                () -> TokenAuthenticator.loadOrCreate(new ManagementConfig().records(records)));
        assertEquals(ErrorCode.CORRUPT_METADATA, e.code());
        assertArrayEquals(junk, stored(records));
    }

    @Test
    void shouldRoundTripTheDescriptor() {
        byte[] salt = new byte[16];
        byte[] hash = new byte[32];
        for (int i = 0; i < 32; i++) {
            hash[i] = (byte) i;
            if (i < 16) {
                salt[i] = (byte) (100 + i);
            }
        }
        byte[] r = AuthRecordDescriptor.encode(salt, hash);
        assertTrue(AuthRecordDescriptor.valid(r));
        assertArrayEquals(salt, AuthRecordDescriptor.salt(r));
        assertArrayEquals(hash, AuthRecordDescriptor.hash(r));
        r[0] ^= 1;
        assertFalse(AuthRecordDescriptor.valid(r));
        assertThrows(IllegalArgumentException.class, () -> new ManagementServerConfigProbe().run());
    }

    /** A config without any credential store is a programming error. */
    static final class ManagementServerConfigProbe {
        void run() {
            TokenAuthenticator.loadOrCreate(new ManagementConfig());
        }
    }
}
