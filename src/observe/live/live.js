// The page of `kafkaplane dashboard` (src/observe/live-server.ts): draws each view the server pushes
// (GET /events, Server-Sent Events; the view model is src/core/observe/live-view.ts). Plain DOM, text
// set with textContent only (topic and group names are data, never markup). Every state is written in
// words beside its colour.

const $ = (id) => document.getElementById(id)

/** An element with attributes (`class`, `data-*`, aria-*) and children (strings become text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined && value !== null) element.setAttribute(name, String(value))
  for (const child of children.flat()) if (child !== undefined && child !== null) element.append(child instanceof Node ? child : String(child))
  return element
}

function table(caption, headers, rows, attributes = {}) {
  return h('table', attributes, h('caption', {}, caption), h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows))
}

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

const STATE_TEXT = { up: 'UP', fenced: 'FENCED', down: 'DOWN' }
const HEALTH_TEXT = {
  offline: 'offline',
  'under-min-isr': 'under min ISR',
  'at-min-isr': 'at min ISR',
  'under-replicated': 'under-replicated (above min ISR)',
  healthy: 'healthy',
}

function brokerCard(b) {
  const disk = b.disk
    ? `${bytes(b.disk.replicaBytes)} data, ${b.disk.totalBytes > 0 ? `${bytes(b.disk.usableBytes)} free of ${bytes(b.disk.totalBytes)}` : 'volume size unknown'}`
    : 'not read'
  return h(
    'article',
    { class: `broker state-${b.state}`, 'data-broker-id': b.id, 'data-state': b.state, 'aria-label': `broker ${b.id}, ${STATE_TEXT[b.state]}` },
    h('h3', {}, `broker ${b.id}`),
    h('p', { class: 'state' }, STATE_TEXT[b.state], b.roles.length > 0 ? h('span', { class: 'roles' }, ` · ${b.roles.join(', ')}`) : null),
    h(
      'dl',
      {},
      h('dt', {}, 'leaders'),
      h('dd', { 'data-field': 'leaders' }, b.leaders),
      h('dt', {}, 'replicas'),
      h('dd', { 'data-field': 'replicas' }, b.replicas),
      h('dt', {}, 'out of sync'),
      h('dd', { 'data-field': 'out-of-sync' }, b.outOfSync),
      h('dt', {}, 'disk'),
      h('dd', { 'data-field': 'disk' }, disk),
    ),
  )
}

function drawLayout(view) {
  const { layout } = view
  const byId = new Map(view.brokers.map((b) => [b.id, b]))
  const corner = layout.rowDimension ? `${layout.rowDimension} \\ ${layout.columnDimension}` : layout.columnDimension
  const rows = layout.rows.map((row) =>
    h(
      'tr',
      { 'data-row': row },
      h('th', { scope: 'row' }, layout.rowDimension ? row : 'brokers'),
      layout.columns.map((column) => {
        const cell = layout.cells.find((c) => c.row === row && c.column === column)
        const brokers = cell?.brokers ?? []
        return h('td', { 'data-row': row, 'data-column': column }, brokers.length === 0 ? h('span', { class: 'empty' }, 'no broker') : brokers.map((id) => brokerCard(byId.get(id))))
      }),
    ),
  )
  const caption = layout.rowDimension ? `Brokers by ${layout.rowDimension} (rows) and ${layout.columnDimension} (columns)` : `Brokers by ${layout.columnDimension} (columns)`
  const headers = [corner, ...layout.columns]
  $('layout').replaceChildren(table(caption, headers, rows, { class: 'layout' }))
}

function drawPartitions(view) {
  const p = view.partitions
  const counts = [
    ['offline', p.counts.offline],
    ['under-min-isr', p.counts['under-min-isr']],
    ['at-min-isr', p.counts['at-min-isr']],
    ['under-replicated', p.counts['under-replicated']],
    ['healthy', p.counts.healthy],
  ]
  $('partition-counts').replaceChildren(
    ...counts.flatMap(([key, n]) => [h('dt', {}, HEALTH_TEXT[key]), h('dd', { 'data-count': key, class: n > 0 && key !== 'healthy' ? 'bad' : '' }, n)]),
    h('dt', {}, 'under-replicated in all (ISR below RF)'),
    h('dd', { 'data-count': 'under-replicated-total', class: p.underReplicated > 0 ? 'bad' : '' }, p.underReplicated),
    h('dt', {}, 'partitions'),
    h('dd', { 'data-count': 'total' }, p.total),
  )
  $('worst-partitions').replaceChildren(
    p.worst.length === 0
      ? h('p', {}, 'Every partition has all its replicas in sync.')
      : table(
          p.worst.length === 1 ? 'The partition not fully in sync' : `The worst ${p.worst.length} partitions`,
          ['partition', 'health', 'leader (broker)', 'replicas (brokers)', 'in sync (brokers)', 'min ISR'],
          p.worst.map((w) =>
            h('tr', { 'data-partition': `${w.topic}-${w.partition}`, 'data-health': w.health }, h('td', {}, `${w.topic}-${w.partition}`), h('td', {}, HEALTH_TEXT[w.health]), h('td', {}, w.leader < 0 ? 'none' : w.leader), h('td', {}, w.replicas.join(', ')), h('td', {}, w.isr.join(', ') || 'none'), h('td', {}, w.minInsync)),
          ),
        ),
  )
}

function drawRestart(view) {
  $('restart').replaceChildren(
    table(
      'Whether each broker may stop now without taking a partition below min.insync.replicas or the controller quorum below a majority',
      ['broker', 'state', 'may restart now', 'why not'],
      view.brokers.map((b) =>
        h('tr', { 'data-restart-broker': b.id, 'data-may-restart': b.restart.ok ? 'yes' : 'no' }, h('td', {}, b.id), h('td', {}, STATE_TEXT[b.state]), h('td', { class: b.restart.ok ? 'good' : 'bad' }, b.restart.ok ? 'yes' : 'no'), h('td', {}, [...b.restart.blockers, ...b.restart.warnings.map((w) => `warning: ${w}`)].join('; ') || '—')),
      ),
    ),
  )
}

function drawSurvivability(view) {
  $('survivability').replaceChildren(
    table(
      'What the loss of each failure domain would do now, on the current in-sync replicas',
      ['dimension', 'domain', 'brokers', 'survives', 'offline partitions', 'partitions refusing acks=all writes', 'controller quorum', 'what is lost'],
      view.survivability.map((d) =>
        h(
          'tr',
          { 'data-domain': `${d.dimension}=${d.domain}`, 'data-survives': d.survives ? 'yes' : 'no' },
          h('td', {}, d.dimension),
          h('td', {}, d.domain),
          h('td', {}, d.brokers.join(', ')),
          h('td', { class: d.survives ? 'good' : 'bad' }, d.survives ? 'yes' : 'no'),
          h('td', {}, d.offline),
          h('td', {}, d.unwritable),
          h('td', {}, d.quorumKept === undefined ? 'unknown' : d.quorumKept ? 'keeps a majority' : 'loses its majority'),
          h('td', {}, d.losses.join('; ') || '—'),
        ),
      ),
    ),
  )
}

function duration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`
  return `${(seconds / 3600).toFixed(1)} h`
}

/** A progress bar with its figures in words beside it. */
function progress(copied, total, label) {
  const percent = total > 0 ? Math.floor((100 * copied) / total) : 0
  return [h('progress', { max: total, value: copied, 'aria-label': label }), ` ${bytes(copied)} of ${bytes(total)} (${percent}%)`]
}

function drawMoves(view) {
  const moves = view.moves
  const n = moves.partitions.length
  if (n === 0) {
    $('moves').replaceChildren(h('p', { 'data-reassignments': 0 }, 'No partition is being reassigned.'))
    return
  }
  const rate = moves.bytesPerSecond === undefined ? '' : `; ${bytes(moves.bytesPerSecond)}/s since the view before`
  const eta = moves.etaSeconds === undefined ? '' : `; about ${duration(moves.etaSeconds)} left`
  const shown = moves.partitions.slice(0, 20)
  $('moves').replaceChildren(
    h(
      'div',
      { 'data-reassignments': n },
      h('p', {}, `${n} partition${n === 1 ? '' : 's'} being reassigned`, moves.totalBytes > 0 ? [': ', ...progress(moves.copiedBytes, moves.totalBytes, 'all the moves'), rate, eta] : '.'),
      h(
        'ul',
        {},
        shown.map((m) =>
          h(
            'li',
            { 'data-move': `${m.topic}-${m.partition}` },
            `${m.topic}-${m.partition} → replicas ${m.replicas.join(', ')}`,
            m.adding.length > 0 ? ` (adding ${m.adding.join(', ')}${m.removing.length > 0 ? `, removing ${m.removing.join(', ')}` : ''})` : '',
            m.totalBytes !== undefined ? [': ', ...progress(m.copiedBytes, m.totalBytes, `${m.topic}-${m.partition}`)] : '',
          ),
        ),
      ),
      n > shown.length ? h('p', {}, `and ${n - shown.length} more.`) : null,
    ),
  )
}

function drawGroups(view) {
  $('groups').replaceChildren(
    view.groups.length === 0
      ? h('p', {}, 'No consumer group.')
      : table(
          'Consumer groups: lag in records and in seconds (age of the record at the committed offset), status by Burrow’s rules',
          ['group', 'status', 'members', 'topics', 'lag (records)', 'lag (seconds)'],
          view.groups.map((g) =>
            h('tr', { 'data-group': g.id, 'data-status': g.status ?? 'unknown' }, h('td', {}, g.id), h('td', { class: g.status === 'OK' ? 'good' : g.status ? 'bad' : '' }, g.status ?? 'no commits'), h('td', {}, g.members ?? 'unknown'), h('td', {}, g.topics.join(', ')), h('td', {}, g.offsetLag), h('td', {}, g.lagSeconds === undefined ? '—' : g.lagSeconds.toFixed(1))),
          ),
        ),
  )
}

let updates = 0

function draw(message) {
  updates++
  $('bootstrap').textContent = `· ${message.bootstrap}`
  const { view, error } = message
  const footer = []
  if (error) footer.push(`The last collection failed at ${new Date(error.at).toLocaleTimeString()}: ${error.message}.${view ? ' Showing the view before it.' : ''}`)
  document.body.dataset.stale = error ? 'yes' : 'no'
  if (view) {
    const v = $('verdict')
    v.dataset.status = view.verdict.status
    v.className = `verdict ${view.verdict.status}`
    v.textContent = `Cluster is ${view.verdict.status.toUpperCase()}`
    $('reasons').replaceChildren(...view.verdict.reasons.map((r) => h('li', {}, r)))
    $('notices').replaceChildren(...view.notices.map((n) => h('li', { class: 'notice' }, n)))
    drawLayout(view)
    drawPartitions(view)
    drawRestart(view)
    drawSurvivability(view)
    drawMoves(view)
    drawGroups(view)
    const q = view.quorum ? `active controller ${view.quorum.leaderId < 0 ? 'none' : view.quorum.leaderId}, voters ${view.quorum.voters.join(', ')}` : 'controller quorum unknown'
    footer.push(`Collected ${new Date(view.collectedAt).toLocaleTimeString()} in ${view.durationMs} ms; ${q}; a new view every ${message.intervalMs / 1000} s.`)
  }
  const f = $('footer')
  f.dataset.updates = String(updates)
  f.textContent = footer.join(' ')
}

function connect() {
  const status = $('connection')
  const events = new EventSource('events')
  events.addEventListener('open', () => {
    status.dataset.connection = 'live'
    status.textContent = 'Live: each new view is drawn as it comes.'
  })
  events.addEventListener('view', (e) => draw(JSON.parse(e.data)))
  events.addEventListener('error', () => {
    status.dataset.connection = 'reconnecting'
    status.textContent = 'Disconnected from the dashboard server; reconnecting… (what is shown may be stale)'
  })
}

connect()
