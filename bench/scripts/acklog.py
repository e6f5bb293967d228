"""The QD1 client's log (qd1_client.py) replayed and checked against a LUN image read back from the cell.

Each slot's expected content is the pattern of its last acknowledged write; a write reported failed after it may
have landed or not, so its pattern is accepted too. A slot never acknowledged must still be zero.
"""


class Replay:
    def __init__(self, log_path, nslots):
        self.expected = [0] * nslots              # last acknowledged pattern (0: never written)
        self.maybe = [set() for _ in range(nslots)]   # patterns of writes reported failed since the slot's last ack
        self.acked = self.fails = self.restarts = 0
        for line in open(log_path):
            f = line.split()
            if f[0] == "ACK":
                s, p = int(f[3]), int(f[4])
                self.expected[s] = p
                self.maybe[s] = set()
                self.acked += 1
            elif f[0] == "FAIL":
                s, p = int(f[3]), int(f[4])
                self.maybe[s].add(p)
                self.fails += 1
            elif f[0] == "RESTART":
                self.restarts += 1

    def check(self, image_path, slot):
        """(lost, ghost): acknowledged slots whose content differs, never-acknowledged slots that changed."""
        lost = ghost = 0
        with open(image_path, "rb") as img:
            for s in range(len(self.expected)):
                b = img.read(slot)
                ok = {self.expected[s]} | self.maybe[s]
                if len(set(b)) != 1 or b[0] not in ok:
                    if self.expected[s]:
                        lost += 1
                    else:
                        ghost += 1
        return lost, ghost
