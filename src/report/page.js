// The review page's behaviour: sliders, heat maps, the timeline's clicks, and colour hints placed by clicking and
// saved as a CSV file that `--hints` reads. Nothing is sent anywhere.
'use strict';
const report = JSON.parse(document.getElementById('colorize-report').textContent);
// A film's hints name their frame, a batch's their photo.
const photos = Array.isArray(report.photos);
const first = !photos && report.frames.length ? report.frames[0].index : 0;
const hints = [];
const colour = document.getElementById('hint-colour');
const radius = document.getElementById('hint-radius');
let picking = false;

function timecode(seconds) {
  const m = Math.floor(seconds / 60);
  return `${m}:${(seconds - 60 * m).toFixed(2).padStart(5, '0')}`;
}

// Where a click fell on a frame's picture, as a fraction of its width and height; null outside it.
function place(figure, event) {
  const box = figure.querySelector('.before').getBoundingClientRect();
  const fx = (event.clientX - box.left) / box.width;
  const fy = (event.clientY - box.top) / box.height;
  return fx >= 0 && fy >= 0 && fx < 1 && fy < 1 ? [fx, fy] : null;
}

// The colour of the finished frame at a place, read from its picture.
function colourAt(figure, [fx, fy]) {
  const img = figure.querySelector('.after');
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const [r, g, b] = context.getImageData(Math.floor(fx * img.naturalWidth), Math.floor(fy * img.naturalHeight), 1, 1).data;
  return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('');
}

function clicked(figure, event) {
  const at = place(figure, event);
  if (!at) return;
  if (picking) {
    colour.value = colourAt(figure, at);
    picking = false;
    document.body.classList.remove('picking');
    return;
  }
  const [width, height] = [Number(figure.dataset.width), Number(figure.dataset.height)];
  hints.push({
    figure: figure.id,
    on: photos ? figure.dataset.file : Number(figure.dataset.index),
    x: Math.min(width - 1, Math.floor(at[0] * width)),
    y: Math.min(height - 1, Math.floor(at[1] * height)),
    colour: colour.value,
    radius: Number(radius.value) || 3,
  });
  render();
}

function cell(row, hint, key, type) {
  const input = document.createElement('input');
  input.type = type;
  input.value = hint[key];
  input.className = `hint-${key}`;
  input.addEventListener('change', () => {
    hint[key] = type === 'number' ? Number(input.value) : input.value;
    render();
  });
  row.insertCell().append(input);
}

function render() {
  const body = document.querySelector('#hint-list tbody');
  body.replaceChildren();
  hints.forEach((hint, k) => {
    const row = body.insertRow();
    cell(row, hint, 'on', photos ? 'text' : 'number');
    cell(row, hint, 'x', 'number');
    cell(row, hint, 'y', 'number');
    cell(row, hint, 'colour', 'color');
    cell(row, hint, 'radius', 'number');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'remove';
    remove.addEventListener('click', () => { hints.splice(k, 1); render(); });
    row.insertCell().append(remove);
  });
  document.querySelectorAll('.marks').forEach((marks) => marks.replaceChildren());
  for (const hint of hints) {
    const figure = document.getElementById(hint.figure);
    if (!figure) continue;
    const [width, height] = [Number(figure.dataset.width), Number(figure.dataset.height)];
    const mark = document.createElement('div');
    mark.className = 'mark';
    mark.style.left = `${((hint.x + 0.5) / width) * 100}%`;
    mark.style.top = `${((hint.y + 0.5) / height) * 100}%`;
    mark.style.background = hint.colour;
    figure.querySelector('.marks').append(mark);
  }
}

function csv() {
  // A file name with a comma or a quote is quoted, as CSV does.
  const field = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const rows = hints.map((h) => [h.on, h.x, h.y, h.colour, h.radius].map(field).join(','));
  return [`${photos ? 'file' : 'frame'},x,y,colour,radius`, ...rows].join('\n') + '\n';
}

function save() {
  const name = document.getElementById('save-hints').dataset.file;
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv()], { type: 'text/csv' }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
}

function jump(index) {
  const figures = [...document.querySelectorAll('.frame')];
  if (!figures.length) return;
  const nearest = figures.reduce((a, b) =>
    Math.abs(Number(b.dataset.index) - index) < Math.abs(Number(a.dataset.index) - index) ? b : a);
  figures.forEach((f) => f.classList.toggle('current', f === nearest));
  nearest.scrollIntoView({ block: 'center' });
}

function plotClicked(event) {
  const area = document.getElementById('plot-area');
  const svg = area.querySelector('svg');
  const box = svg.getBoundingClientRect();
  const x = ((event.clientX - box.left) * svg.viewBox.baseVal.width) / box.width;
  const { left, right, first: start, end } = area.dataset;
  const at = (x - Number(left)) / (Number(right) - Number(left));
  const index = Math.round(Number(start) + Math.min(1, Math.max(0, at)) * (Number(end) - 1 - Number(start)));
  const frame = report.frames[index - first];
  if (frame) {
    const parts = [`frame ${frame.index} at ${timecode(frame.time)}`, frame.kind];
    if (frame.cut) parts.push('cut');
    if (frame.stability !== null) parts.push(`change ${frame.stability.toFixed(1)}`);
    if (frame.uncertainty !== null) parts.push(`uncertainty ${frame.uncertainty.toFixed(2)}`);
    document.getElementById('plot-readout').textContent = parts.join(' · ');
  }
  jump(index);
}

for (const figure of document.querySelectorAll('.frame')) {
  const after = figure.querySelector('.after');
  const slider = figure.querySelector('.slider');
  const slide = () => { after.style.clipPath = `inset(0 ${100 - slider.value}% 0 0)`; };
  slider.addEventListener('input', slide);
  slide();
  const heat = figure.querySelector('.heat');
  const button = figure.querySelector('.show-heat');
  if (heat && button) button.addEventListener('click', () => { heat.hidden = !heat.hidden; });
  figure.querySelector('.pair').addEventListener('click', (event) => clicked(figure, event));
}
document.getElementById('pick-colour').addEventListener('click', () => {
  picking = true;
  document.body.classList.add('picking');
});
document.getElementById('save-hints').addEventListener('click', save);
document.getElementById('plot-area')?.addEventListener('click', plotClicked);
for (const link of document.querySelectorAll('#attention a')) {
  link.addEventListener('click', (event) => { event.preventDefault(); jump(Number(link.dataset.frame)); });
}
if (photos) document.getElementById('hint-on').textContent = 'file';
render();
document.body.dataset.ready = 'yes';
