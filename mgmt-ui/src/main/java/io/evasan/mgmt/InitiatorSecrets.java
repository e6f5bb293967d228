package io.evasan.mgmt;

/**
 * Where the management API sends the CHAP secrets of registered hosts so that the running iSCSI target
 * enforces them (the embedded appliance wires it to its {@code IscsiTargetConfig}). Invariant: after
 * {@link #put} returns, the next login of that initiator must answer CHAP with these credentials; after
 * {@link #remove}, it needs none. Implementations are thread-safe.
 */
public interface InitiatorSecrets {
    /** CHAP credentials of one initiator; {@code targetUserName}/{@code targetSecret} null unless mutual. */
    record Chap(String userName, String secret, String targetUserName, String targetSecret) {
    }

    void put(String initiator, Chap chap);

    void remove(String initiator);
}
