package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.ManagementConfig;
import io.evasan.nsc.api.Records;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * The admin bearer token: created on first start (256 bits from {@link SecureRandom}), handed to the
 * caller once, stored only as a salted SHA-256 ({@link AuthRecordDescriptor}) in the cell's records (the MLD).
 * Invariant: the token itself is never stored; {@link #verify} compares hashes in constant time.
 */
public final class TokenAuthenticator {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] salt;
    private final byte[] hash;
    private final String createdToken;

    private TokenAuthenticator(byte[] salt, byte[] hash, String createdToken) {
        this.salt = salt;
        this.hash = hash;
        this.createdToken = createdToken;
    }

    /**
     * Loads the stored hash, or on first start creates a token and stores its hash.
     *
     * @throws StorageException CORRUPT_METADATA when a stored record is malformed (left untouched),
     *                          IO_ERROR when the file cannot be written
     */
    public static TokenAuthenticator loadOrCreate(ManagementConfig config) {
        Records mld = config.records();
        if (mld == null) {
            throw new IllegalArgumentException("ManagementConfig needs records(...): the cell's records");
        }
        byte[] stored = mld.get(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY).orElse(null);
        if (stored != null) {
            if (!AuthRecordDescriptor.valid(stored)) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, "stored management credential ("
                        + "MLD record " + ManagementConfig.AUTH_KIND + ") is malformed");
            }
            return new TokenAuthenticator(AuthRecordDescriptor.salt(stored), AuthRecordDescriptor.hash(stored), null);
        }
        return create(mld);
    }

    /**
     * Replaces the stored credential, whatever it is (also a malformed one), with the salted hash of a new token: the old
     * token stops working from the management server's next start. For an admin who lost the token; run with the
     * management server stopped (a running one keeps the hash it loaded).
     *
     * @return the authenticator of the new token, which {@link #createdToken} holds
     * @throws StorageException IO_ERROR when the record cannot be written
     */
    public static TokenAuthenticator rotate(Records records) {
        return create(records);
    }

    private static TokenAuthenticator create(Records mld) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] salt = new byte[AuthRecordDescriptor.SALT_LENGTH];
        RANDOM.nextBytes(salt);
        byte[] hash = hash(salt, token);
        byte[] record = AuthRecordDescriptor.encode(salt, hash);
        mld.put(ManagementConfig.AUTH_KIND, ManagementConfig.AUTH_KEY, record);
        return new TokenAuthenticator(salt, hash, token);
    }

    /** The token created by this start, or empty when it was created by an earlier start. */
    public Optional<String> createdToken() {
        return Optional.ofNullable(createdToken);
    }

    /** Constant-time check of a presented token (null = none presented). */
    public boolean verify(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(hash, hash(salt, presented));
    }

    /** Checks an HTTP Authorization header value of the form {@code Bearer <token>}. */
    public boolean verifyHeader(String authorization) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return verify(authorization.substring(7).trim());
    }

    static byte[] hash(byte[] salt, String token) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            d.update(token.getBytes(StandardCharsets.UTF_8));
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
