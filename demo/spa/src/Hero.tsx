// The home hero: a personalised slot rendered by React. useDecision says which variant to show;
// spreading slotProps keeps the slot hidden (attune.css, with <html class="attune-loading">)
// until that is final, so the shopper never sees the default hero swapped for another.
import { useDecision } from 'attune/react'
import { HEROES } from './catalog'
import { Link } from './router'

const STANDARD = 'This is our standard content.'
const sentence = (text: string): string => (/[.!?]$/.test(text) ? text : `${text}.`)

export const Hero = () => {
  const { variant, decision, slotProps } = useDecision('home-hero')
  // A variant the app has no design for (the config may grow first) shows the default.
  const kind = variant && HEROES[variant] ? variant : 'default'
  const hero = HEROES[kind]!
  return (
    <div className="slot-wrap">
      <section className="hero" aria-label="Featured" {...slotProps}>
        <div className={`hero-body hero-${kind}`} data-content={kind}>
          <div className="hero-copy">
            <p className="hero-eyebrow">{hero.eyebrow}</p>
            <h2 className="hero-title">{hero.title}</h2>
            <p className="hero-text">{hero.text}</p>
            <Link className="button button-light" href={hero.href}>
              {hero.cta}
            </Link>
          </div>
          <img className="hero-art" src={`/img/hero-${hero.art}.svg`} alt="" width={240} height={200} />
        </div>
      </section>
      <details className="why" data-why="home-hero">
        <summary>
          Why am I seeing this<span className="visually-hidden"> featured banner</span>?
        </summary>
        <p data-why-text>{sentence(decision?.text || STANDARD)}</p>
      </details>
    </div>
  )
}
