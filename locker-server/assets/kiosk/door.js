// Following a locker's door through /ws: "open door A07" -> "close the door" -> done.
//
// DoorWatch is sans-IO: it is fed the /ws events and asked where the followed door is;
// EventLink is the socket around it (connect, send the token first, reconnect).

/** The phases of a followed door. */
export const Phase = Object.freeze({ OPENING: 'opening', OPEN: 'open', DONE: 'done', STUCK: 'stuck' });

/** Where one locker's door is, from the events seen since a mark. */
export class DoorWatch {
  constructor() {
    this.seq = 0;
    this.events = [];
    this.target = null;
  }

  /** A mark to take before the request that opens a door: only later events count. */
  mark() {
    return this.seq;
  }

  /** Feeds one /ws event (`{event, data}`); returns the followed door's phase. */
  feed(event) {
    if (!event || !event.data) return this.phase();
    const data = event.data;
    if (event.event === 'locker_status_changed' && data.locker_code) {
      this.events.push({ seq: ++this.seq, code: data.locker_code, door: data.door_state });
    } else if (event.event === 'security_alert' && data.locker_code && data.alert_type === 'lock_jam') {
      this.events.push({ seq: ++this.seq, code: data.locker_code, door: 'jammed' });
    }
    if (this.events.length > 500) this.events.splice(0, this.events.length - 500);
    return this.phase();
  }

  /** Follows locker `code` from `mark` on. */
  follow(code, mark) {
    this.target = { code, mark };
    return this.phase();
  }

  /** Stops following. */
  clear() {
    this.target = null;
  }

  /** The followed door's phase, or null when nothing is followed. */
  phase() {
    if (!this.target) return null;
    let phase = Phase.OPENING;
    for (const e of this.events) {
      if (e.seq <= this.target.mark || e.code !== this.target.code) continue;
      if (e.door === 'jammed' && phase === Phase.OPENING) phase = Phase.STUCK;
      else if (e.door === 'open' && phase !== Phase.DONE) phase = Phase.OPEN;
      else if (e.door === 'closed' && phase === Phase.OPEN) phase = Phase.DONE;
    }
    return phase;
  }
}

/** The /ws connection: sends the access token first, hands every event to `onEvent`,
 *  says when it is up or down through `onLink(up)`, and reconnects after a drop. */
export class EventLink {
  constructor(tokenSource, onEvent, onLink) {
    this.tokenSource = tokenSource;
    this.onEvent = onEvent;
    this.onLink = onLink;
    this.socket = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    if (this.socket) this.socket.close();
  }

  async connect() {
    let token;
    try {
      token = await this.tokenSource();
    } catch {
      token = null;
    }
    if (!token) {
      this.onLink(false);
      this.retry();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/ws`);
    this.socket = socket;
    socket.addEventListener('open', () => socket.send(token));
    socket.addEventListener('message', (msg) => {
      let event;
      try {
        event = JSON.parse(msg.data);
      } catch {
        return;
      }
      if (event.event === 'authenticated') this.onLink(true);
      else this.onEvent(event);
    });
    socket.addEventListener('close', () => {
      if (this.socket === socket) this.socket = null;
      this.onLink(false);
      this.retry();
    });
  }

  retry() {
    if (!this.stopped) setTimeout(() => this.connect(), 2000);
  }
}
